package dev.tollgate.envoy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tollgate.admission.AuthzMetadata;
import dev.tollgate.admission.RateLimitHeaders;
import dev.tollgate.admission.Reason;
import dev.tollgate.testsupport.RepoRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class AuthzMetadataCodecTest {
  private static final AuthzMetadata FULL =
      AuthzMetadata.builder()
          .user("alice")
          .conversation("c1")
          .key("svc")
          .tier("default")
          .model("gpt-4o-mini")
          .api("chat_completions")
          .promptTokens(16L)
          .reservedTokens(56L)
          .reservedUsd("0.0000336")
          .stream(true)
          .includeUsage(false)
          .partialBody(false)
          .reservation("t1.payload.mac")
          .store("ok")
          .rateLimit(new RateLimitHeaders(dev.tollgate.quota.Unit.TOKENS, 150, 94, "57.936s"))
          .decision(Reason.QUOTA_NEVER_FITS)
          .bindingScope("user")
          .bindingWindow("1m")
          .rateLimitRequests(new RateLimitHeaders(dev.tollgate.quota.Unit.REQUESTS, 60, 12, "48s"))
          .shadowExceeded("user:1m:requests,global:1d:tokens")
          .build();

  @Test
  void shadowAndRequestWindowsAreNamedForAccessLogs() {
    var f = AuthzMetadataCodec.toStruct(FULL).getFieldsMap();
    assertEquals(
        "user:1m:requests,global:1d:tokens", f.get("x-tollgate-shadow-exceeded").getStringValue());
    assertEquals(60, f.get("ratelimit_limit_requests").getNumberValue());
    assertEquals(12, f.get("ratelimit_remaining_requests").getNumberValue());
    assertEquals("48s", f.get("ratelimit_reset_requests").getStringValue());
  }

  @Test
  void everyFieldSurvivesTheRoundTrip() {
    assertEquals(FULL, AuthzMetadataCodec.fromStruct(AuthzMetadataCodec.toStruct(FULL)));
    assertEquals(
        AuthzMetadata.EMPTY,
        AuthzMetadataCodec.fromStruct(AuthzMetadataCodec.toStruct(AuthzMetadata.EMPTY)));
    assertEquals(Struct.getDefaultInstance(), AuthzMetadataCodec.toStruct(AuthzMetadata.EMPTY));
    AuthzMetadata noReset =
        FULL.toBuilder()
            .rateLimit(new RateLimitHeaders(dev.tollgate.quota.Unit.TOKENS, 10, 0, null))
            .build();
    assertEquals(noReset, AuthzMetadataCodec.fromStruct(AuthzMetadataCodec.toStruct(noReset)));
  }

  @Test
  void theStructHasTheTypesEnvoysAccessLogsAndOlderReadersSee() {
    Map<String, Value> f = AuthzMetadataCodec.toStruct(FULL).getFieldsMap();
    assertEquals("quota.never_fits", f.get("decision").getStringValue());
    assertEquals(16.0, f.get("prompt_tokens").getNumberValue());
    assertEquals(56.0, f.get("reserved_tokens").getNumberValue());
    assertEquals(150.0, f.get("ratelimit_limit_tokens").getNumberValue());
    assertEquals(94.0, f.get("ratelimit_remaining_tokens").getNumberValue());
    assertEquals("57.936s", f.get("ratelimit_reset_tokens").getStringValue());
    assertTrue(f.get("stream").getBoolValue());
    assertEquals("t1.payload.mac", f.get("reservation").getStringValue());
    assertEquals("user", f.get("binding_scope").getStringValue());
    assertEquals(24, f.size());
  }

  @Test
  void fieldsOfAnUnexpectedTypeReadAsAbsent() {
    Struct s =
        Struct.newBuilder()
            .putFields("reservation", Value.newBuilder().setNumberValue(1).build())
            .putFields("prompt_tokens", Value.newBuilder().setStringValue("16").build())
            .putFields("decision", Value.newBuilder().setStringValue("no.such_reason").build())
            .putFields("ratelimit_remaining_tokens", Value.newBuilder().setNumberValue(5).build())
            .putFields("other", Value.newBuilder().setStringValue("x").build())
            .build();
    AuthzMetadata m = AuthzMetadataCodec.fromStruct(s);
    assertEquals(null, m.reservation());
    assertEquals(null, m.promptTokens());
    assertEquals(null, m.decision());
    // as before: a remaining count alone still yields the headers, the limit read as 0
    assertEquals(new RateLimitHeaders(dev.tollgate.quota.Unit.TOKENS, 0, 5, null), m.rateLimit());
  }

  @Test
  void everyFieldTheAccessLogsReadIsOneTheCodecWrites() throws Exception {
    Map<String, Value> f = AuthzMetadataCodec.toStruct(FULL).getFieldsMap();
    Pattern p =
        Pattern.compile("%DYNAMIC_METADATA\\(envoy\\.filters\\.http\\.ext_authz:(\\w+)\\)%");
    int seen = 0;
    Path root = RepoRoot.get();
    try (var files = Files.list(root.resolve("envoy"))) {
      for (Path yaml :
          (Iterable<Path>) files.filter(x -> x.toString().endsWith(".yaml"))::iterator) {
        Matcher m = p.matcher(Files.readString(yaml));
        while (m.find()) {
          seen++;
          String field = m.group(1);
          assertTrue(
              field.equals("ext_authz_duration") || f.containsKey(field), yaml + ": " + field);
        }
      }
    }
    assertTrue(seen > 0, "no access log reads ext_authz's metadata");
  }
}
