{{/*
Chart name, truncated for use in labels.
*/}}
{{- define "raftkv.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of the StatefulSet and prefix of everything else. 52 characters, not 63: the pods' names add
"-N", the headless Service's adds "-headless", and the StatefulSet's controller-revision-hash label
adds a hash, and each of those must still be a valid DNS label.
*/}}
{{- define "raftkv.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "raftkv.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "raftkv.selectorLabels" -}}
app.kubernetes.io/name: {{ include "raftkv.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "raftkv.labels" -}}
helm.sh/chart: {{ include "raftkv.chart" . }}
{{ include "raftkv.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The headless Service that gives each pod its stable DNS name <pod>.<headless>.<namespace>.svc.
*/}}
{{- define "raftkv.headlessName" -}}
{{- printf "%s-headless" (include "raftkv.fullname" .) }}
{{- end }}

{{- define "raftkv.peerSecretName" -}}
{{- .Values.peerSecret.existingSecret | default (printf "%s-peer" (include "raftkv.fullname" .)) }}
{{- end }}

{{- define "raftkv.authSecretName" -}}
{{- .Values.auth.existingSecret | default (printf "%s-auth" (include "raftkv.fullname" .)) }}
{{- end }}

{{/*
The Secret with the nodes' certificate: the user's, or the one cert-manager fills.
*/}}
{{- define "raftkv.tlsSecretName" -}}
{{- .Values.tls.existingSecret | default (printf "%s-tls" (include "raftkv.fullname" .)) }}
{{- end }}

{{- define "raftkv.tlsEnabled" -}}
{{- if or .Values.tls.client.enabled .Values.tls.peer.enabled }}true{{ end }}
{{- end }}

{{- define "raftkv.clientScheme" -}}
{{- ternary "https" "http" .Values.tls.client.enabled }}
{{- end }}

{{- define "raftkv.peerScheme" -}}
{{- ternary "https" "http" .Values.tls.peer.enabled }}
{{- end }}

{{/*
The value of a Secret the chart generates, base64-encoded: the given one, else the one already in
the cluster, else a new random one. Only an upgrade looks in the cluster: an install has nothing
of its own there yet (a Secret kept from an uninstalled release is refused by its immutability,
see the README), and an install that looked up would make dry-run renderers such as helm-java's
template try to reach a cluster. `helm template` sees no cluster and always makes a new value:
GitOps renderers must use existingSecret.
Call with (dict "context" $ "name" <Secret name> "key" <data key> "value" <given value>).
*/}}
{{- define "raftkv.secretValue" -}}
{{- if .value }}
{{- .value | b64enc }}
{{- else }}
{{- $existing := dict }}
{{- if .context.Release.IsUpgrade }}
{{- $existing = lookup "v1" "Secret" .context.Release.Namespace .name }}
{{- end }}
{{- $found := index (($existing | default dict).data | default dict) .key }}
{{- $found | default (randAlphaNum 48 | b64enc) }}
{{- end }}
{{- end }}

{{/*
"true" when the leader follows the StatefulSet's spec.replicas through the Kubernetes API.
*/}}
{{- define "raftkv.autopilotKubernetes" -}}
{{- if and .Values.autopilot.enabled .Values.autopilot.kubernetes.enabled }}true{{ end }}
{{- end }}

{{/*
The ServiceAccount the pods run as when they call the Kubernetes API: the user's, or the chart's.
*/}}
{{- define "raftkv.serviceAccountName" -}}
{{- .Values.serviceAccountName | default (include "raftkv.fullname" .) }}
{{- end }}

{{/*
A majority of the nodes: the fewest that can elect a leader and commit.
*/}}
{{- define "raftkv.quorum" -}}
{{- add1 (div (int .Values.replicas) 2) }}
{{- end }}

{{/*
The members a new data directory bootstraps from (RAFTKV_CLUSTER). An upgrade keeps the value the
running StatefulSet has, so that changing replicas does not change the pod template: otherwise
every pod would restart, one by one, in the middle of a resize. New pods find the cluster through
these names and join it. Only a peer TLS switch (the URLs' scheme) makes a new list.
*/}}
{{- define "raftkv.bootstrapCluster" -}}
{{- $existing := dict }}
{{- if .Release.IsUpgrade }}
{{- $existing = lookup "apps/v1" "StatefulSet" .Release.Namespace (include "raftkv.fullname" .) }}
{{- end }}
{{- include "raftkv.bootstrapClusterOf" (dict "context" . "statefulSet" $existing) }}
{{- end }}

{{/*
RAFTKV_CLUSTER of the given StatefulSet when its scheme is the current peer scheme, else the
initial members from replicas. Call with (dict "context" $ "statefulSet" <StatefulSet or empty>).
*/}}
{{- define "raftkv.bootstrapClusterOf" -}}
{{- $scheme := printf "=%s://" (include "raftkv.peerScheme" .context) }}
{{- $kept := "" }}
{{- range $c := (dig "spec" "template" "spec" "containers" list (.statefulSet | default dict)) }}
{{- range $e := ($c.env | default list) }}
{{- if and (eq $e.name "RAFTKV_CLUSTER") (contains $scheme ($e.value | default "")) }}
{{- $kept = $e.value }}
{{- end }}
{{- end }}
{{- end }}
{{- $kept | default (include "raftkv.initialCluster" .context) }}
{{- end }}

{{/*
The initial members, id=peerURL,... from the replica count and the pods' stable DNS names.
The namespace is left to Kubernetes' $(POD_NAMESPACE) expansion instead of .Release.Namespace, so
the plain manifests in k8s/ (this chart rendered) still work when kustomize moves them to another
namespace. The nodes only use this list to bootstrap an empty data directory.
*/}}
{{- define "raftkv.initialCluster" -}}
{{- $fullname := include "raftkv.fullname" . }}
{{- $headless := include "raftkv.headlessName" . }}
{{- $members := list }}
{{- range $i := until (int .Values.replicas) }}
{{- $members = append $members (printf "%s-%d=%s://%s-%d.%s.$(POD_NAMESPACE).svc.%s:%d" $fullname $i (include "raftkv.peerScheme" $) $fullname $i $headless $.Values.clusterDomain (int $.Values.ports.peer)) }}
{{- end }}
{{- join "," $members }}
{{- end }}

{{/*
Spring's graceful shutdown must finish before the kubelet's SIGKILL: what the grace period leaves
after the pre-stop sleep, less a margin for the JVM to exit.
*/}}
{{- define "raftkv.shutdownPhaseTimeout" -}}
{{- max 5 (sub (sub (int .Values.terminationGracePeriodSeconds) (int .Values.preStopSleepSeconds)) 5) }}s
{{- end }}

{{/*
Checks across values that the schema cannot express.
*/}}
{{- define "raftkv.validate" -}}
{{- if eq (int .Values.ports.client) (int .Values.ports.peer) }}
{{- fail (printf "ports.client and ports.peer must differ (both are %d): the peer port serves only the internal /raft endpoints and must be reachable by the nodes alone" (int .Values.ports.client)) }}
{{- end }}
{{- $tls := .Values.tls }}
{{- if and $tls.existingSecret $tls.certManager.enabled }}
{{- fail "tls.existingSecret and tls.certManager.enabled both name the nodes' certificate: choose one" }}
{{- end }}
{{- if and (include "raftkv.tlsEnabled" .) (not (or $tls.existingSecret $tls.certManager.enabled)) }}
{{- fail "tls.client.enabled and tls.peer.enabled need a certificate: set tls.existingSecret (a kubernetes.io/tls Secret with tls.crt, tls.key and ca.crt) or tls.certManager.enabled" }}
{{- end }}
{{- if and (or $tls.existingSecret $tls.certManager.enabled) (not (include "raftkv.tlsEnabled" .)) }}
{{- fail "a certificate is configured (tls.existingSecret or tls.certManager.enabled) but nothing uses it: turn on tls.client.enabled and/or tls.peer.enabled" }}
{{- end }}
{{- if $tls.certManager.enabled }}
{{- if not $tls.certManager.issuerRef.name }}
{{- fail "tls.certManager.enabled needs tls.certManager.issuerRef.name: the cert-manager Issuer or ClusterIssuer that signs the nodes' certificate" }}
{{- end }}
{{- if lt (int $tls.certManager.maxReplicas) (int .Values.replicas) }}
{{- fail (printf "tls.certManager.maxReplicas (%d) must be at least replicas (%d): the certificate names every pod" (int $tls.certManager.maxReplicas) (int .Values.replicas)) }}
{{- end }}
{{- end }}
{{- /* Only an upgrade has a StatefulSet to compare with. Looking up on install too would also make
       renderers that run install in dry-run mode (helm-java's template) try to reach a cluster. */ -}}
{{- if .Release.IsUpgrade }}
{{- $existing := lookup "apps/v1" "StatefulSet" .Release.Namespace (include "raftkv.fullname" .) }}
{{- if $existing }}
{{- include "raftkv.validateUpgradeOf" (dict "context" . "statefulSet" $existing) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
What an upgrade cannot change, checked against the StatefulSet in the cluster (its replicas are
the current ones, also after a `kubectl scale`). Replicas: only the leader's autopilot turns new
pods into members and removes the old ones, so without autopilot.kubernetes the count is fixed.
A scale-down deletes the removed pods at once, before the leader removes them from the members:
the pods left must still be a majority of the current members, or no leader can be elected to
remove them. Peer TLS: a node with it and one without cannot talk, so the StatefulSet's rolling
update would stall at its first pod; switching needs every pod restarted at once, which
tls.peer.allowSwitch acknowledges.
Call with (dict "context" $ "statefulSet" <the existing StatefulSet>).
*/}}
{{- define "raftkv.validateUpgradeOf" -}}
{{- $values := .context.Values }}
{{- $from := int .statefulSet.spec.replicas }}
{{- $to := int $values.replicas }}
{{- if and (ne $from $to) (not (include "raftkv.autopilotKubernetes" .context)) }}
{{- fail (printf "replicas cannot change from %d to %d with autopilot.enabled or autopilot.kubernetes.enabled off: nothing would make the new pods members or remove the old ones (see the chart's README: Changing the number of nodes)" $from $to) }}
{{- end }}
{{- if lt $to (add1 (div $from 2)) }}
{{- fail (printf "replicas cannot go from %d to %d in one step: the removed pods stop at once, and the %d left are no majority of the %d members, so no leader could remove the others. Scale down in steps of at most %d, waiting for GET /cluster to list only the remaining members before the next (see the chart's README: Changing the number of nodes)" $from $to $to $from (sub $from (add1 (div $from 2)))) }}
{{- end }}
{{- range $c := .statefulSet.spec.template.spec.containers }}
{{- range $e := ($c.env | default list) }}
{{- if eq $e.name "RAFTKV_CLUSTER" }}
{{- $wasTls := contains "=https://" ($e.value | default "") }}
{{- if and (ne $wasTls (and $values.tls.peer.enabled true)) (not $values.tls.peer.allowSwitch) }}
{{- fail (printf "tls.peer.enabled changes from %t to %t: nodes with and without peer TLS cannot talk to each other, so a rolling update would stall at its first pod. Every pod must restart at once: set tls.peer.allowSwitch=true, then delete all the pods (see the chart's README: Switching peer TLS on a running cluster)" $wasTls (and $values.tls.peer.enabled true)) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
