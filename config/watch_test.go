package config

import (
	"strings"
	"testing"
	"time"
)

func TestWatchSection(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       func(Watch) bool
		err        string
	}{
		{"defaults", "", func(w Watch) bool { return w == DefaultWatch }, ""},
		{"keys", `watch:
  listen: 127.0.0.1:0
  data: /tmp/pg
  prometheus: http://127.0.0.1:9090
  metrics: {duration: shop_http_request_duration_seconds, matchers: 'env="staging"'}
  warmup: 5s
  window: 20s
  step: 2s
  retention: {max_age: 1h, max_bytes: 1000000}
  webhook: http://127.0.0.1:9/hook
`, func(w Watch) bool {
			return w.Listen == "127.0.0.1:0" && w.Data == "/tmp/pg" && w.Metrics.Duration == "shop_http_request_duration_seconds" &&
				w.Metrics.ServiceLabel == "service" && w.Metrics.Matchers == `env="staging"` && w.Warmup == 5*time.Second &&
				w.Window == 20*time.Second && w.Step == 2*time.Second && w.Retention.MaxAge == time.Hour && w.Retention.MaxBytes == 1e6
		}, ""},
		{"unknown key", "watch: {windw: 5s}", nil, "windw"},
		{"window under two steps", "watch: {window: 10s, step: 6s}", nil, "watch.window"},
		{"negative warmup", "watch: {warmup: -1s}", nil, "watch.warmup"},
		{"bad metric", "watch: {metrics: {duration: 'a-b'}}", nil, "watch.metrics.duration"},
		{"bad label", "watch: {metrics: {version_label: '1v'}}", nil, "watch.metrics.version_label"},
		{"bad url", "watch: {prometheus: 'localhost:9090'}", nil, "watch.prometheus"},
		{"negative retention", "watch: {retention: {max_bytes: -1}}", nil, "watch.retention"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "perfgate.yml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(c.Watch) {
				t.Errorf("watch %+v", c.Watch)
			}
		})
	}
}
