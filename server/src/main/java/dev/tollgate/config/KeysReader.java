package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Reads the service keys: {@code keys} and the list in {@code keys_file}. */
final class KeysReader {
  static final SectionKeys KEY = SectionKeys.of("keys[]", "name", "sha256", "tier", "role");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS = List.of(SectionKeys.of("", "keys", "keys_file"), KEY);

  private KeysReader() {}

  static List<ServiceKeyConfig> read(Section root, Map<String, TierConfig> tiers) {
    Reading r = root.reading();
    List<ServiceKeyConfig> out = new ArrayList<>();
    JsonNode ks = root.get("keys");
    if (ks != null && !ks.isNull()) {
      if (!ks.isArray()) {
        root.error(
            "keys",
            "a " + Reading.kind(ks) + " (expected: a list of { name, sha256, tier, role })");
      } else {
        addAll(r, ks, "keys", tiers, out);
      }
    }
    if (root.has("keys_file")) {
      String f = root.string("keys_file", null);
      if (f != null) {
        try {
          JsonNode list = YamlText.parse(Files.readString(r.input(f), StandardCharsets.UTF_8));
          if (list == null || !list.isArray()) {
            root.error(
                "keys_file",
                f
                    + " does not hold a list (expected: a YAML list of { name, sha256, tier, role })");
          } else {
            addAll(r, list, "keys_file", tiers, out);
          }
        } catch (YamlText.Invalid e) {
          root.error("keys_file", f + ": " + e.getMessage());
        } catch (IOException e) {
          root.error("keys_file", "cannot read " + f + " (expected: a readable YAML list of keys)");
        }
      }
    }
    Set<String> names = new HashSet<>();
    Set<String> hashes = new HashSet<>();
    for (ServiceKeyConfig k : out) {
      if (!names.add(k.name())) {
        root.error(
            "keys", "the name '" + k.name() + "' is used twice (expected: unique key names)");
      }
      if (!hashes.add(HexFormat.of().formatHex(k.sha256()))) {
        root.error(
            "keys", "key '" + k.name() + "' repeats another key's sha256 (expected: unique keys)");
      }
    }
    if (out.isEmpty() && r.errors().stream().noneMatch(e -> e.contains(": keys"))) {
      root.error("keys", "no service keys (expected: at least one { name, sha256, tier, role })");
    }
    return out;
  }

  private static void addAll(
      Reading r,
      JsonNode list,
      String path,
      Map<String, TierConfig> tiers,
      List<ServiceKeyConfig> out) {
    for (int i = 0; i < list.size(); i++) {
      Section s = r.section(list.get(i), path + "[" + i + "]", KEY, true);
      ServiceKeyConfig k = s == null ? null : key(s, tiers);
      if (k != null) {
        out.add(k);
      }
    }
  }

  private static ServiceKeyConfig key(Section n, Map<String, TierConfig> tiers) {
    String name = n.required("name");
    String hex = n.required("sha256");
    String tier = n.string("tier", ServiceKeyConfig.DEFAULT_TIER);
    String roleName = n.string("role", ServiceKeyConfig.DEFAULT_ROLE.configName());
    byte[] sha = null;
    if (hex != null) {
      if (!hex.matches("[0-9a-fA-F]{64}")) {
        n.error(
            "sha256", "not 64 hex digits (expected: the output of printf %s 'KEY' | sha256sum)");
      } else {
        sha = HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT));
      }
    }
    if (tier != null && !tiers.containsKey(tier)) {
      n.error("tier", "'" + tier + "' (expected: one of " + tiers.keySet() + ")");
      tier = null;
    }
    Role role = roleName == null ? null : role(n, roleName);
    if (name == null || sha == null || tier == null || role == null) {
      return null;
    }
    return new ServiceKeyConfig(name, sha, tier, role);
  }

  /** A role in any case ({@code service}, {@code SYSTEM}); null (and an error) otherwise. */
  private static Role role(Section n, String name) {
    try {
      return Role.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      n.error("role", "'" + name + "' (expected: service, system or admin)");
      return null;
    }
  }
}
