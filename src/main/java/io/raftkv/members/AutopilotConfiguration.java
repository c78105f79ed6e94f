package io.raftkv.members;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/**
 * Builds autopilot from a {@link MembershipPort} bean when the node's wiring provides one (and
 * {@code raftkv.autopilot.enabled} is not false). An auto-configuration, listed in
 * {@code META-INF/spring/...AutoConfiguration.imports} and so left out of the component scan: only
 * then is {@code @ConditionalOnBean} evaluated after every application bean is known.
 *
 * <p>The Kubernetes client is made only with {@code raftkv.autopilot.kubernetes.enabled}: without
 * it no fabric8 class is loaded and nothing calls the Kubernetes API. Made, it calls the API only
 * when the leader reconciles.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "raftkv.autopilot.enabled", matchIfMissing = true)
@EnableConfigurationProperties(AutopilotProperties.class)
public class AutopilotConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBooleanProperty("raftkv.autopilot.kubernetes.enabled")
    static class FromStatefulSet {
        /**
         * From the pod's mounted ServiceAccount token (or a kubeconfig outside a cluster); no API
         * call yet. No retries inside a call: the next reconcile is the retry, and a reconcile
         * blocked in backoff would only delay it.
         */
        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean(KubernetesClient.class)
        KubernetesClient autopilotKubernetesClient() {
            return new KubernetesClientBuilder()
                    .withConfig(new ConfigBuilder(Config.autoConfigure(null)).withRequestRetryBackoffLimit(0).build())
                    .build();
        }

        @Bean
        StatefulSetReplicas statefulSetReplicas(KubernetesClient client, AutopilotProperties p) {
            return new StatefulSetReplicas(client, p.kubernetes().namespace(), p.kubernetes().statefulSet());
        }
    }

    /**
     * Component scanning of the application finds this nested class on its own, outside the enclosing
     * class's condition: hence the property condition here too.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBooleanProperty(name = "raftkv.autopilot.enabled", matchIfMissing = true)
    @ConditionalOnBean(MembershipPort.class)
    static class Reconciling {
        @Bean
        Reconciler autopilotReconciler(MembershipPort port, DesiredSize desiredSize, AutopilotProperties p) {
            return new Reconciler(port, desiredSize, new Planner(p.stableFor(), p.deadAfter(), p.learnerGrace()),
                    new CatchUpTracker(p.maxLagEntries()), p.minVoters(), p.stepTimeout(), Clock.systemUTC());
        }

        @Bean
        AutopilotSchedule autopilotSchedule(Reconciler reconciler, AutopilotProperties p) {
            return new AutopilotSchedule(reconciler, p.interval());
        }

        @Bean
        AutopilotHealthIndicator autopilotHealthIndicator(Reconciler reconciler) {
            return new AutopilotHealthIndicator(reconciler);
        }
    }
}
