package io.raftkv.web;

import io.raftkv.config.RaftKvProperties;
import io.raftkv.node.RaftKvNode;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/** The web layer's own beans: request routing to the leader, the port partition, the browser-safety headers. */
@Configuration(proxyBeanMethods = false)
class WebConfiguration {

    @Bean
    LeaderRouter leaderRouter(RaftKvNode node, RaftKvProperties p) {
        return new LeaderRouter(node, p.requests().leaderWait(), p.requests().timeout());
    }

    @Bean
    FilterRegistrationBean<PortFilter> portFilter(RaftKvProperties p) {
        FilterRegistrationBean<PortFilter> reg = new FilterRegistrationBean<>(new PortFilter(p.peerPort(), p.peerSecret()));
        reg.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return reg;
    }

    /** The browser-safety headers on every answer of the node (see {@link SecurityHeaders}). */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> securityHeaders() {
        return factory -> factory.addContextCustomizers(context -> context.getPipeline().addValve(new SecurityHeaders()));
    }
}
