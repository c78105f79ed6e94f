package io.raftkv.web;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.apache.catalina.connector.Connector;
import org.apache.coyote.AbstractProtocol;
import org.apache.coyote.RequestGroupInfo;
import org.apache.tomcat.util.threads.ThreadPoolExecutor;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;

import java.util.function.ToDoubleFunction;

/**
 * The client port's request counters, read from what Tomcat counts for every request anyway, in
 * place of Spring's per-request observation filter ({@code http.server.requests}): that filter
 * built an observation, its tags and a timer lookup for every request and, for an asynchronous
 * one, again on its second dispatch; under load it took about a tenth of the leader's client
 * threads. These cost nothing per request: they are read when scraped.
 */
final class ClientRequestStats implements TomcatConnectorCustomizer, MeterBinder {
    private volatile Connector connector;

    @Override
    public void customize(Connector c) {
        connector = c;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "raftkv.client.requests", "requests answered on the client port", RequestGroupInfo::getRequestCount);
        counter(registry, "raftkv.client.errors", "client requests answered with a status of 400 or more", RequestGroupInfo::getErrorCount);
        FunctionCounter.builder("raftkv.client.processing", this, s -> s.read(g -> g.getProcessingTime() / 1000.0))
                .baseUnit("seconds").description("time spent processing client requests, summed").register(registry);
        Gauge.builder("raftkv.client.processing.max", this, s -> s.read(g -> g.getMaxTime() / 1000.0))
                .baseUnit("seconds").description("the longest client request processed so far").register(registry);
        Gauge.builder("raftkv.client.threads.busy", this, s -> s.executorValue(true))
                .description("client worker threads serving a request now").register(registry);
        Gauge.builder("raftkv.client.threads.max", this, s -> s.executorValue(false))
                .description("raftkv.client.max-threads as applied").register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<RequestGroupInfo> f) {
        FunctionCounter.builder(name, this, s -> s.read(f)).description(description).register(registry);
    }

    /** A figure of the running connector, or NaN before it started. */
    private double read(ToDoubleFunction<RequestGroupInfo> f) {
        Connector c = connector;
        if (c != null && c.getProtocolHandler() instanceof AbstractProtocol<?> p && p.getHandler() != null
                && p.getHandler().getGlobal() instanceof RequestGroupInfo g) {
            return f.applyAsDouble(g);
        }
        return Double.NaN;
    }

    private double executorValue(boolean busy) {
        Connector c = connector;
        if (c != null && c.getProtocolHandler().getExecutor() instanceof ThreadPoolExecutor e) {
            return busy ? e.getActiveCount() : e.getMaximumPoolSize();
        }
        return Double.NaN;
    }
}
