package io.raftkv.web;

import io.raftkv.config.RaftKvProperties;
import io.raftkv.node.RaftKvNode;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The web layer's own beans: request routing to the leader and the browser-safety headers.
 * (The peer port is another server: see io.raftkv.peer.)
 */
@Configuration(proxyBeanMethods = false)
class WebConfiguration {

    @Bean
    LeaderRouter leaderRouter(RaftKvNode node, RaftKvProperties p) {
        return new LeaderRouter(node, p.requests().leaderWait(), p.requests().timeout());
    }

    /** The browser-safety headers on every answer of the node (see {@link SecurityHeaders}). */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> securityHeaders() {
        return factory -> factory.addContextCustomizers(context -> context.getPipeline().addValve(new SecurityHeaders()));
    }
}
