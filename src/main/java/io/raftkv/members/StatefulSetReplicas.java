package io.raftkv.members;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.net.HttpURLConnection;
import java.util.OptionalInt;

/**
 * The desired size is {@code spec.replicas} of this node's own StatefulSet, read through the
 * Kubernetes API on every reconcile (so only on the leader): {@code kubectl scale} and
 * {@code helm upgrade --set replicas=N} both end up there. Needs {@code get} on that one
 * StatefulSet, which the Helm chart's Role grants.
 */
public final class StatefulSetReplicas implements DesiredSize {
    private final KubernetesClient client;
    private final String namespace;
    private final String name;

    public StatefulSetReplicas(KubernetesClient client, String namespace, String name) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
    }

    @Override
    public OptionalInt get() {
        StatefulSet set;
        try {
            set = client.apps().statefulSets().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            throw new DesiredSizeUnavailableException(explain(e), e);
        }
        if (set == null) {
            throw new DesiredSizeUnavailableException("StatefulSet " + where() + " does not exist: check"
                    + " raftkv.autopilot.kubernetes.namespace and stateful-set", null);
        }
        Integer replicas = set.getSpec() == null ? null : set.getSpec().getReplicas();
        // The API server defaults an unset spec.replicas to 1.
        return OptionalInt.of(replicas == null ? 1 : replicas);
    }

    private String explain(KubernetesClientException e) {
        return switch (e.getCode()) {
            case HttpURLConnection.HTTP_FORBIDDEN -> "the Kubernetes API refused to get StatefulSet " + where()
                    + " (403): this pod's ServiceAccount needs `get` on statefulsets/" + name
                    + " (the Helm chart's Role grants it with autopilot.kubernetes.enabled)";
            case HttpURLConnection.HTTP_UNAUTHORIZED -> "the Kubernetes API did not accept this pod's credentials (401)"
                    + " reading StatefulSet " + where() + ": is a ServiceAccount token mounted?";
            case 0 -> "cannot reach the Kubernetes API to read StatefulSet " + where() + ": " + e.getMessage();
            default -> "the Kubernetes API answered " + e.getCode() + " reading StatefulSet " + where() + ": "
                    + (e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage());
        };
    }

    private String where() {
        return namespace + "/" + name;
    }
}
