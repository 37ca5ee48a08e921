{{- define "vworkspace-operator.name" -}}vworkspace-operator{{- end -}}

{{- define "vworkspace-operator.labels" -}}
app.kubernetes.io/name: vworkspace-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "vworkspace-operator.selectorLabels" -}}
app.kubernetes.io/name: vworkspace-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
