package dev.tollgate.admin;

import dev.tollgate.admin.v1.LimitValue;
import dev.tollgate.admin.v1.Scope;
import dev.tollgate.admin.v1.SetOverrideRequest;
import java.util.List;

/** Builders of override requests, for tests. */
public final class AdminServiceOverridesTestSupport {
  private AdminServiceOverridesTestSupport() {}

  public static LimitValue tokens(String window, long n) {
    return LimitValue.newBuilder().setWindow(window).setTokens(n).build();
  }

  public static LimitValue usd(String window, double usd) {
    return LimitValue.newBuilder().setWindow(window).setUsd(usd).build();
  }

  public static SetOverrideRequest set(Scope scope, String id, LimitValue... limits) {
    return SetOverrideRequest.newBuilder()
        .setScope(scope)
        .setId(id)
        .addAllLimits(List.of(limits))
        .build();
  }
}
