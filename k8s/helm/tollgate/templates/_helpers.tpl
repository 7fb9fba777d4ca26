{{/* Labels Helm adds to every resource (k8s/ has none of them). */}}
{{- define "tollgate.helmLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* Tollgate's resources: the labels of k8s/base (its files' and kustomization's). */}}
{{- define "tollgate.labels" -}}
app.kubernetes.io/name: tollgate
app.kubernetes.io/part-of: tollgate
{{ include "tollgate.helmLabels" . }}
{{- end }}

{{- define "tollgate.selector" -}}
app.kubernetes.io/name: tollgate
{{- end }}

{{/* The egress gateway's mutual TLS identity. */}}
{{- define "tollgate.gatewayPrincipal" -}}
{{ .Values.istio.trustDomain }}/ns/{{ .Values.gateway.namespace }}/sa/{{ .Values.gateway.serviceAccount }}
{{- end }}

{{/* tollgate.yaml: values.config or files/tollgate.yaml (= k8s/base/tollgate.yaml), with
     store.hazelcast.min_cluster_size set to a majority of the replicas; with persistence.type none
     files/tollgate.yaml's store.persistence becomes type: none. */}}
{{- define "tollgate.config" -}}
{{- $replicas := int64 .Values.replicas -}}
{{- $min := int64 (.Values.minClusterSize | default (add1 (div $replicas 2))) -}}
{{- if or (le (mul 2 $min) $replicas) (gt $min $replicas) -}}
{{- fail (printf "minClusterSize %d is not a majority of replicas %d: two clusters could each enforce the full limit" $min $replicas) -}}
{{- end -}}
{{- $config := "" -}}
{{- if .Values.config -}}
{{- $config = tpl .Values.config . -}}
{{- else -}}
{{- $config = .Files.Get "files/tollgate.yaml" | replace "tollgate-hz.tollgate.svc." (printf "tollgate-hz.%s.svc." .Release.Namespace) -}}
{{- end -}}
{{- if not (regexMatch "(?m)^\\s+min_cluster_size:\\s*\\d+" $config) -}}
{{- fail "config: set store.hazelcast.min_cluster_size (the chart writes a majority of the replicas into it)" -}}
{{- end -}}
{{- if and (eq .Values.persistence.type "none") (not .Values.config) -}}
{{- $config = regexReplaceAll "(?m)^  persistence:\n(?:    .*\n)*" $config "  persistence:\n    type: none                       # persistence.type: none, usage in Hazelcast's memory only\n" -}}
{{- end -}}
{{- regexReplaceAll "(?m)^(\\s+min_cluster_size:\\s*)\\d+" $config (printf "${1}%d" $min) -}}
{{- end }}
