{{/* Names and labels (design §9). */}}
{{- define "careline.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "careline.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "careline.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: careline
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one service; call with (dict "root" $ "svc" "acd"). */}}
{{- define "careline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "careline.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .svc }}
{{- end -}}

{{- define "careline.serviceName" -}}
{{- printf "%s-%s" (include "careline.fullname" .root) .svc -}}
{{- end -}}

{{- define "careline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "careline.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding esl-password, jwt-secret and <svc>-db-url; fails when no secret is given. */}}
{{- define "careline.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else -}}
{{- printf "%s-secrets" (include "careline.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "careline.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* One service's settings: defaults overlaid by services.<svc>. Returns YAML; use fromYaml. */}}
{{- define "careline.serviceConfig" -}}
{{- $svc := index .root.Values.services .svc -}}
{{- mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy $svc) | toYaml -}}
{{- end -}}
