package io.raftkv.web;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.core.Ordered;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.handler.MappedInterceptor;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds the handler of the hot requests, {@code GET}, {@code HEAD}, {@code PUT} and {@code DELETE}
 * of {@code /kv/{key}}, in a few comparisons, before Spring MVC's general lookup, which matches every
 * request against every mapping of the node (their methods, parameters, media types and paths) and
 * sorts the matches: about a fifth of the client threads' time under stale-read load. It picks the
 * handler method that lookup picks ({@code KvRoutesWebTest} compares the two on every kind of
 * {@code /kv} request) and sets the request attributes it sets; every other request (listings, long
 * polls with {@code wait}, other methods, other paths) is left to it.
 */
final class KvRoutes implements HandlerMapping, Ordered {
    static final String PATTERN = "/kv/**";

    private final HandlerMethod put;
    private final HandlerMethod delete;
    private final HandlerMethod get;
    private final HandlerMethod getStale;
    private final HandlerInterceptor[] interceptors;

    /** {@code mvc}: Spring MVC's mapping of the annotated controllers, whose handler methods these are. */
    KvRoutes(RequestMappingHandlerMapping mvc) {
        Map<String, HandlerMethod> kv = new HashMap<>();
        mvc.getHandlerMethods().values().stream()
                .filter(h -> h.getBeanType() == KvController.class)
                .forEach(h -> kv.put(h.getMethod().getName(), h));
        this.put = resolved(kv, "put");
        this.delete = resolved(kv, "delete");
        this.get = resolved(kv, "get");
        this.getStale = resolved(kv, "getStale");
        this.interceptors = mvc.getAdaptedInterceptors();
    }

    private static HandlerMethod resolved(Map<String, HandlerMethod> kv, String name) {
        HandlerMethod h = kv.get(name);
        if (h == null) {
            throw new IllegalStateException("KvController has no mapped method " + name);
        }
        return h.createWithResolvedBean();
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    @Override
    public HandlerExecutionChain getHandler(HttpServletRequest request) {
        String path = (ServletRequestPathUtils.hasParsedRequestPath(request)
                ? ServletRequestPathUtils.getParsedRequestPath(request)
                : ServletRequestPathUtils.parseAndCache(request)).pathWithinApplication().value();
        if (!path.startsWith("/kv/")) {
            return null;
        }
        HandlerMethod handler = switch (request.getMethod()) {
            case "PUT" -> put;
            case "DELETE" -> delete;
            case "GET", "HEAD" -> request.getParameter("wait") != null ? null
                    : stale(request.getParameterValues("consistency")) ? getStale : get;
            default -> null;
        };
        if (handler == null) {
            return null;
        }
        request.setAttribute(BEST_MATCHING_HANDLER_ATTRIBUTE, handler);
        request.setAttribute(BEST_MATCHING_PATTERN_ATTRIBUTE, PATTERN);
        request.setAttribute(PATH_WITHIN_HANDLER_MAPPING_ATTRIBUTE, path);
        request.setAttribute(URI_TEMPLATE_VARIABLES_ATTRIBUTE, Map.of());
        HandlerExecutionChain chain = new HandlerExecutionChain(handler);
        for (HandlerInterceptor i : interceptors) {
            if (!(i instanceof MappedInterceptor m)) {
                chain.addInterceptor(i);
            } else if (m.matches(request)) {
                chain.addInterceptor(m.getInterceptor());
            }
        }
        return chain;
    }

    /** Spring's {@code params = "consistency=stale"}: any of the parameter's values is {@code stale}. */
    private static boolean stale(String[] consistency) {
        return consistency != null && Arrays.asList(consistency).contains("stale");
    }

    @Override
    public boolean usesPathPatterns() {
        return true;
    }
}
