package io.raftkv.web;

import io.raftkv.config.RaftKvProperties;
import io.raftkv.config.CoordinationProperties;
import io.raftkv.node.RaftKvNode;
import io.raftkv.watch.WatchHub;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.apache.catalina.core.StandardHost;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.context.annotation.Configuration;

/**
 * The web layer's own beans: request routing to the leader, the client server's Tomcat settings
 * and the browser-safety headers.
 * (The peer port is another server: see io.raftkv.peer.)
 */
@Configuration(proxyBeanMethods = false)
class WebConfiguration {

    @Bean
    LeaderRouter leaderRouter(RaftKvNode node, RaftKvProperties p) {
        return new LeaderRouter(node.board(), node.directory(), p.requests().leaderWait(), p.requests().timeout());
    }

    /**
     * The watch history and watchers. Made with the other beans, before the node starts applying, so
     * its history misses nothing the node applies from then on.
     */
    @Bean(destroyMethod = "close")
    WatchHub watchHub(RaftKvNode node, CoordinationProperties c) {
        CoordinationProperties.History h = c.watch().history();
        return new WatchHub(node.stateMachine(), new WatchHub.Bounds(h.maxEvents(), h.maxBytes(Runtime.getRuntime().maxMemory()), h.maxAge(),
                c.watch().maxWatchers()), System::nanoTime);
    }

    /**
     * Ends every watch and long poll as soon as the node begins to shut down, before the server's
     * graceful shutdown waits for open requests: a watch never ends by itself, so it would hold the
     * shutdown for its whole timeout. Clients reconnect to another node with Last-Event-ID.
     */
    @Bean
    ApplicationListener<ContextClosedEvent> endWatchesOnShutdown(WatchHub hub) {
        return event -> hub.close();
    }

    /**
     * The first valves of the client context: answers held until the request's thread is out of the
     * pipeline ({@link AnswerRelease}), and the browser-safety headers on every answer ({@link SecurityHeaders}).
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> securityHeaders() {
        return factory -> factory.addContextCustomizers(context -> {
            context.getPipeline().addValve(new AnswerRelease());
            context.getPipeline().addValve(new SecurityHeaders());
        });
    }

    /** Writes answers that wait for Raft without a second dispatch (see {@link DirectAnswers}). */
    @Bean
    DirectAnswers directAnswers(RequestMappingHandlerAdapter adapter,
                                @Qualifier("handlerExceptionResolver") HandlerExceptionResolver resolver) {
        return new DirectAnswers(adapter, resolver);
    }

    /** The handlers of GET, PUT and DELETE /kv/{key}, found before Spring MVC's general lookup (see {@link KvRoutes}). */
    @Bean
    KvRoutes kvRoutes(@Qualifier("requestMappingHandlerMapping") RequestMappingHandlerMapping mvc) {
        return new KvRoutes(mvc);
    }

    /** The client port's request counters, from Tomcat's own (see {@link ClientRequestStats}). */
    @Bean
    ClientRequestStats clientRequestStats() {
        return new ClientRequestStats();
    }

    /**
     * The client server, with {@code raftkv.client.max-threads} worker threads and recycled request
     * processors ({@link ClientHttpProtocol}). It keeps an encoded slash (%2F) as it is, so a key may contain one; the key
     * parser decodes it. It keeps a connection open for as many requests as its client sends:
     * Tomcat's default of closing it after 100 raced with clients reusing the connection. It has no
     * peer endpoints at all: the peer port is a server of its own (io.raftkv.peer).
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> clientConnector(RaftKvProperties p, ClientRequestStats stats) {
        int threads = p.client().threads(Runtime.getRuntime().availableProcessors());
        return factory -> {
            factory.setProtocol(ClientHttpProtocol.class.getName());
            TomcatConnectorCustomizer client = c -> {
                c.setEncodedSolidusHandling("passthrough");
                if (c.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
                    http.setMaxKeepAliveRequests(-1);
                    // Applied after Spring Boot's server.tomcat.threads: this customizer runs later.
                    http.setMaxThreads(threads);
                    http.setMinSpareThreads(Math.min(http.getMinSpareThreads(), threads));
                }
            };
            factory.addConnectorCustomizers(client, stats);
            factory.addContextCustomizers(context -> {
                if (context.getParent() instanceof StandardHost host) {
                    host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                }
            });
        };
    }
}
