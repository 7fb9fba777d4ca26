package dev.tollgate.config;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Routing of request paths: which route a path takes (the first whose prefix and methods match) and
 * what happens to a path no route takes.
 *
 * @param routes the routes, in order
 * @param unknownPath what happens to a path that no route takes, or that a route counting {@code
 *     openai} does not know
 */
public record RoutesConfig(List<Route> routes, UnknownPath unknownPath) {
  /** The route of the OpenAI API: {@code { prefix: /v1/, count: openai }}. */
  public static final Route OPENAI = new Route("/v1/", Set.of(), Count.OPENAI, null);

  /** The default: the OpenAI API, unknown paths refused. */
  public static final RoutesConfig DEFAULTS = new RoutesConfig(List.of(OPENAI), UnknownPath.DENY);

  public RoutesConfig {
    routes = List.copyOf(routes);
    Objects.requireNonNull(unknownPath, "unknownPath");
  }

  /** The default routes with {@code unknownPath}. */
  public RoutesConfig(UnknownPath unknownPath) {
    this(List.of(OPENAI), unknownPath);
  }

  /**
   * The first route for {@code method} and a path already normalized and in lower case, or null.
   */
  public Route match(String method, String lowerCasePath) {
    for (Route r : routes) {
      if (r.matches(method, lowerCasePath)) {
        return r;
      }
    }
    return null;
  }

  /** Policy for unknown paths. */
  public enum UnknownPath {
    /** Refuse with 404 OpenAI-style error. */
    DENY,
    /** Allow (after service authentication) without counting tokens. */
    ALLOW
  }

  /** What a route counts. */
  public enum Count {
    /** The OpenAI API: the body is parsed and its tokens and money reserved, and one request. */
    OPENAI,
    /** The request only: one per request, the body is not read. */
    REQUESTS
  }

  /**
   * One route.
   *
   * @param prefix the path prefix, normalized and in lower case ({@code /actions/})
   * @param methods the methods it takes, upper case; empty for every method
   * @param count what it counts
   * @param tier the tier whose limits (and models) apply on it, or null for the service key's
   */
  public record Route(String prefix, Set<String> methods, Count count, String tier) {
    public Route {
      Objects.requireNonNull(prefix, "prefix");
      Objects.requireNonNull(count, "count");
      methods = Set.copyOf(methods);
    }

    /** Whether the route takes {@code method} on a normalized, lower-case path. */
    public boolean matches(String method, String lowerCasePath) {
      return lowerCasePath.startsWith(prefix)
          && (methods.isEmpty()
              || (method != null && methods.contains(method.toUpperCase(Locale.ROOT))));
    }
  }
}
