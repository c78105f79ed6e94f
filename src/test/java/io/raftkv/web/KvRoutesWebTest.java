package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

import java.lang.reflect.Method;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link KvRoutes} picks, for every kind of {@code /kv} request it takes, the handler method Spring
 * MVC's general lookup picks, sets the attributes that lookup sets, and leaves every other request to it.
 */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.level.root=warn")
class KvRoutesWebTest extends OneNodeWebTest {
    @Autowired
    KvRoutes routes;

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mvc;

    private static MockHttpServletRequest request(String method, String uri, String... params) {
        MockHttpServletRequest r = new MockHttpServletRequest(method, uri);
        for (int i = 0; i < params.length; i += 2) {
            r.addParameter(params[i], params[i + 1]);
        }
        ServletRequestPathUtils.parseAndCache(r);
        return r;
    }

    private static Method method(HandlerExecutionChain chain) {
        return ((HandlerMethod) chain.getHandler()).getMethod();
    }

    /** The method both pick, after checking they pick the same one. */
    private String same(String method, String uri, String... params) throws Exception {
        HandlerExecutionChain fast = routes.getHandler(request(method, uri, params));
        assertThat(fast).as(method + " " + uri + " is taken").isNotNull();
        MockHttpServletRequest r = request(method, uri, params);
        HandlerExecutionChain general = mvc.getHandler(r);
        assertThat(general).as(method + " " + uri + " has a handler in Spring MVC").isNotNull();
        assertThat(method(fast)).as(method + " " + uri).isEqualTo(method(general));
        MockHttpServletRequest f = request(method, uri, params);
        routes.getHandler(f);
        for (String attribute : new String[]{HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE,
                HandlerMapping.PATH_WITHIN_HANDLER_MAPPING_ATTRIBUTE, HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE}) {
            assertThat(f.getAttribute(attribute)).as(attribute).isEqualTo(r.getAttribute(attribute));
        }
        assertThat(((HandlerMethod) f.getAttribute(HandlerMapping.BEST_MATCHING_HANDLER_ATTRIBUTE)).getMethod())
                .isEqualTo(((HandlerMethod) r.getAttribute(HandlerMapping.BEST_MATCHING_HANDLER_ATTRIBUTE)).getMethod());
        return method(fast).getName();
    }

    @Test
    void theHotRequestsGetTheHandlerSpringMvcWouldPick() throws Exception {
        assertThat(same("GET", "/kv/a")).isEqualTo("get");
        assertThat(same("HEAD", "/kv/a")).isEqualTo("get");
        assertThat(same("GET", "/kv/a", "consistency", "linearizable")).isEqualTo("get");
        assertThat(same("GET", "/kv/a", "consistency", "bogus")).isEqualTo("get");
        assertThat(same("GET", "/kv/a", "consistency", "stale")).isEqualTo("getStale");
        assertThat(same("GET", "/kv/a", "consistency", "stale", "consistency", "linearizable")).isEqualTo("getStale");
        assertThat(same("PUT", "/kv/a")).isEqualTo("put");
        assertThat(same("PUT", "/kv/a", "lease", "1", "ttl", "5s")).isEqualTo("put");
        assertThat(same("DELETE", "/kv/a")).isEqualTo("delete");
        assertThat(same("GET", "/kv/")).isEqualTo("get");
        assertThat(same("GET", "/kv/a%2Fb/c")).isEqualTo("get");
        assertThat(same("PUT", "/kv//a")).isEqualTo("put");
        assertThat(same("GET", "/kv/../auth/tokens")).isEqualTo("get");
    }

    @Test
    void everythingElseIsLeftToSpringMvc() throws Exception {
        assertThat(routes.getHandler(request("GET", "/kv/a", "wait", "1s"))).as("long poll").isNull();
        assertThat(routes.getHandler(request("GET", "/kv/a", "wait", "1s", "consistency", "stale"))).isNull();
        assertThat(routes.getHandler(request("GET", "/kv"))).as("listing").isNull();
        assertThat(routes.getHandler(request("GET", "/kv", "consistency", "stale"))).isNull();
        assertThat(routes.getHandler(request("POST", "/kv/a"))).isNull();
        assertThat(routes.getHandler(request("OPTIONS", "/kv/a"))).isNull();
        assertThat(routes.getHandler(request("GET", "/kvx/a"))).isNull();
        assertThat(routes.getHandler(request("GET", "/KV/a"))).isNull();
        assertThat(routes.getHandler(request("GET", "/auth/tokens"))).isNull();
        assertThat(method(mvc.getHandler(request("GET", "/kv/a", "wait", "1s"))).getName()).isEqualTo("poll");
    }
}
