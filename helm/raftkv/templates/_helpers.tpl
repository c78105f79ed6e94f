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
A majority of the nodes: the fewest that can elect a leader and commit.
*/}}
{{- define "raftkv.quorum" -}}
{{- add1 (div (int .Values.replicas) 2) }}
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
What an upgrade cannot change, checked against the StatefulSet in the cluster. Replicas: the nodes
keep the members they bootstrapped with (RAFTKV_CLUSTER only bootstraps an empty data directory).
Peer TLS: a node with it and one without cannot talk, so the StatefulSet's rolling update would
stall at its first pod; switching needs every pod restarted at once, which tls.peer.allowSwitch
acknowledges.
Call with (dict "context" $ "statefulSet" <the existing StatefulSet>).
*/}}
{{- define "raftkv.validateUpgradeOf" -}}
{{- $values := .context.Values }}
{{- if ne (int .statefulSet.spec.replicas) (int $values.replicas) }}
{{- fail (printf "replicas cannot change from %d to %d: raftkv has no membership changes yet, and the nodes keep the membership they were installed with (see the chart's README)" (int .statefulSet.spec.replicas) (int $values.replicas)) }}
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
