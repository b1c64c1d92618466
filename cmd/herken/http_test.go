package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gateway serves the demo with the HTTP/JSON gateway on and returns its
// base URL; keysFile "" serves without authentication.
func gatewayServer(t *testing.T, keysFile string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := testConfig()
	cfg.HTTP.Addr = addr
	cfg.Auth.KeysFile = keysFile
	startServer(t, cfg)
	return "http://" + addr
}

// call makes one HTTP call and decodes the JSON answer.
func call(t *testing.T, method, url, key, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %s", method, url, resp.StatusCode, b)
	}
	return resp.StatusCode, m, resp.Header
}

// get walks a decoded JSON value by keys and indexes ("customer.0.name").
func get(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any, path string) string {
	s, _ := get(v, path).(string)
	return s
}

// reason is the ErrorInfo reason in an error answer's details.
func reason(m map[string]any) string {
	details, _ := m["details"].([]any)
	for _, d := range details {
		if dm, ok := d.(map[string]any); ok && strings.HasSuffix(str(dm, "@type"), "ErrorInfo") {
			return str(dm, "reason")
		}
	}
	return ""
}

// TestGatewayRoutes calls every HTTP route of the gateway on the demo.
func TestGatewayRoutes(t *testing.T) {
	base := gatewayServer(t, "")
	code, m, h := call(t, "GET", base+"/v1/lookup?phone=06-12345678", "", "")
	if code != 200 || str(m, "customer.customer.displayName") != "Jan de Vries" || str(m, "outcome") != "MATCH_OUTCOME_FOUND" {
		t.Fatalf("GET /v1/lookup?phone=: %d %v", code, m)
	}
	if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers: %v", h)
	}
	jan := str(m, "customer.customer.name")
	for _, q := range []string{"email=jan@example.nl", "q=06-12345678", "handle=@JanDeVries&platform=x", "phone=%2B31612345678&limit=2"} {
		if code, m, _ := call(t, "GET", base+"/v1/lookup?"+q, "", ""); code != 200 || str(m, "customer.customer.name") != jan {
			t.Errorf("GET /v1/lookup?%s: %d %v", q, code, m)
		}
	}
	if code, m, _ := call(t, "GET", base+"/v1/lookup?phone=020-1234567", "", ""); code != 200 || str(m, "outcome") != "MATCH_OUTCOME_AMBIGUOUS" {
		t.Errorf("household number: %d %v", code, m)
	}
	if code, m, _ := call(t, "POST", base+"/v1/resolve", "", `{"identifiers": [{"phoneNumber": "06-12345678"}, {"email": "jan@example.nl"}]}`); code != 200 || str(m, "customer.customer.name") != jan {
		t.Errorf("POST /v1/resolve: %d %v", code, m)
	}

	code, m, _ = call(t, "POST", base+"/v1/customers", "", `{"customer": {"displayName": "Fatima el Amrani"}, "identifiers": [{"phoneNumber": "06 5555 1234"}]}`)
	fatima := str(m, "customer.name")
	if code != 200 || fatima == "" {
		t.Fatalf("POST /v1/customers: %d %v", code, m)
	}
	steps := []struct {
		method, path, body, want string // want: a JSON path that must be non-empty
	}{
		{"GET", "/v1/" + fatima, "", "customer.name"},
		{"PATCH", "/v1/" + fatima + "?updateMask=tags", `{"tags": ["vip"]}`, "customer.tags.0"},
		{"GET", "/v1/customers?tag=vip", "", "customers.0.name"},
		{"POST", "/v1/" + fatima + ":addIdentifier", `{"identifier": {"email": "fatima@example.nl"}, "label": "prive"}`, "customer.name"},
		{"POST", "/v1/" + fatima + ":removeIdentifier", `{"identifier": {"email": "fatima@example.nl"}}`, "customer.name"},
		{"POST", "/v1/" + fatima + "/interactions", `{"interaction": {"channel": "CHANNEL_PHONE", "direction": "DIRECTION_INBOUND", "outcome": "INTERACTION_OUTCOME_RESOLVED", "summary": "via HTTP"}}`, "interaction.name"},
		{"POST", "/v1/interactions:record", `{"identifier": {"phoneNumber": "06 5555 1234"}, "interaction": {"channel": "CHANNEL_CHAT", "direction": "DIRECTION_INBOUND", "outcome": "INTERACTION_OUTCOME_RESOLVED"}}`, "interaction.name"},
		{"GET", "/v1/" + fatima + "/interactions", "", "interactions.1.name"},
		{"POST", "/v1/" + fatima + "/promises", `{"promise": {"kind": "PROMISE_KIND_CALLBACK", "owner": "team-a"}}`, "promise.name"},
		{"POST", "/v1/promises", `{"identifier": {"phoneNumber": "06 5555 1234"}, "promise": {"kind": "PROMISE_KIND_CALLBACK"}}`, "promise.name"},
		{"GET", "/v1/" + fatima + "/promises", "", "promises.1.name"},
		{"GET", "/v1/customers/-/promises?owner=team-a", "", "promises.0.name"},
		{"GET", "/v1/" + fatima + ":export", "", "customer.name"},
		{"GET", "/v1/maintenance/status", "", "promiseSweeper"},
	}
	var interaction, promise1, promise2 string
	for _, s := range steps {
		code, m, _ := call(t, s.method, base+s.path, "", s.body)
		if code != 200 || get(m, s.want) == nil {
			t.Fatalf("%s %s: %d %v (want %s)", s.method, s.path, code, m, s.want)
		}
		switch {
		case s.path == "/v1/"+fatima+"/interactions" && s.method == "POST":
			interaction = str(m, "interaction.name")
		case s.path == "/v1/"+fatima+"/promises" && s.method == "POST":
			promise1 = str(m, "promise.name")
		case s.path == "/v1/promises":
			promise2 = str(m, "promise.name")
		}
	}
	more := []struct{ method, path, body, want string }{
		{"POST", "/v1/" + interaction + ":submitFeedback", `{"score": 4, "comment": "prima"}`, "interaction.feedback.score"},
		{"POST", "/v1/" + interaction + ":answerFeedback", `{"answer": "dank u", "answeredBy": "agent-1"}`, "interaction.feedback.answer"},
		{"GET", "/v1/" + promise1, "", "promise.name"},
		{"POST", "/v1/" + promise1 + ":keep", `{"actor": "agent-1"}`, "promise.state"},
		{"POST", "/v1/" + promise2 + ":cancel", `{"actor": "agent-1"}`, "promise.state"},
		{"POST", "/v1/" + jan + ":merge", `{"merged": "` + fatima + `"}`, "survivor.name"},
		{"POST", "/v1/" + fatima + ":unmerge", `{}`, "merged.name"},
		{"POST", "/v1/" + fatima + ":erase", `{}`, "eraseTime"},
	}
	for _, s := range more {
		code, m, _ := call(t, s.method, base+s.path, "", s.body)
		if code != 200 || get(m, s.want) == nil {
			t.Fatalf("%s %s: %d %v (want %s)", s.method, s.path, code, m, s.want)
		}
	}
	// HTTP calls are audited like gRPC calls (the recorder writes every
	// 200ms).
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, m, _ := call(t, "GET", base+"/v1/"+jan+"/auditRecords", "", "")
		if code == 200 && strings.HasPrefix(str(m, "auditRecords.0.method"), "/herken.v1.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET auditRecords: %d %v", code, m)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The OpenAPI document names the routes.
	resp, err := http.Get(base + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"/v1/lookup"`) || !strings.Contains(string(b), `"swagger"`) {
		t.Errorf("GET /v1/openapi.json: %d %.200s", resp.StatusCode, b)
	}
	var doc struct {
		Info                struct{ Title, Version string }
		Paths               map[string]any
		SecurityDefinitions map[string]struct{ Type, In, Name string }
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// Its own title and the Bearer key, from proto/herken/v1/openapi.yaml.
	if doc.Info.Title != "herken" || doc.Info.Version != "v1" || doc.SecurityDefinitions["bearer"].Name != "Authorization" || doc.Paths["/v1/screenPopLinks"] == nil {
		t.Errorf("OpenAPI info %+v, security %+v, screenPopLinks %v", doc.Info, doc.SecurityDefinitions, doc.Paths["/v1/screenPopLinks"] != nil)
	}
}

// TestGatewayErrors: bad input, unknown routes and fields, keys and
// scopes answer JSON statuses with ErrorInfo, as gRPC does.
func TestGatewayErrors(t *testing.T) {
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "keys")
	_, pbx, _ := runCmd(t, "keys", "create", "--keys-file", keysFile, "--name", "pbx-1", "--scopes", "lookup")
	pbx = strings.TrimSpace(pbx)
	base := gatewayServer(t, keysFile)
	cases := []struct {
		name, method, path, key, body string
		status                        int
		reason                        string
	}{
		{"no key", "GET", "/v1/lookup?phone=06-12345678", "", "", 401, "API_KEY_MISSING"},
		{"wrong key", "GET", "/v1/lookup?phone=06-12345678", "hk_nonsense", "", 401, ""},
		{"bad number", "GET", "/v1/lookup?phone=12", pbx, "", 400, "PHONE_NUMBER_INVALID"},
		{"no identifier", "GET", "/v1/lookup", pbx, "", 400, ""},
		{"lookup key writes", "POST", "/v1/customers", pbx, `{"customer": {"displayName": "X"}}`, 403, ""},
		{"unknown field", "POST", "/v1/resolve", pbx, `{"identifierz": []}`, 400, "INVALID_ARGUMENT"},
		{"not JSON", "POST", "/v1/resolve", pbx, `{`, 400, "INVALID_ARGUMENT"},
		{"unknown platform", "GET", "/v1/lookup?handle=jan&platform=myspace", pbx, "", 400, "INVALID_ARGUMENT"},
		{"limit not a number", "GET", "/v1/lookup?phone=06-12345678&limit=abc", pbx, "", 400, "INVALID_ARGUMENT"},
	}
	// A query value the gateway cannot parse names its field, as the
	// server's own refusals do.
	for path, field := range map[string]string{
		"/v1/lookup?handle=jan&platform=myspace": "identifier.social_handle.platform",
		"/v1/lookup?phone=06-12345678&limit=abc": "interaction_limit",
	} {
		_, m, _ := call(t, "GET", base+path, pbx, "")
		if !strings.Contains(fmt.Sprint(m["details"]), "field:"+field+" ") {
			t.Errorf("%s: field violation %s missing in %v", path, field, m["details"])
		}
	}
	for _, tc := range cases {
		code, m, _ := call(t, tc.method, base+tc.path, tc.key, tc.body)
		if code != tc.status || tc.reason != "" && reason(m) != tc.reason || str(m, "message") == "" {
			t.Errorf("%s: %d %v; want %d %s", tc.name, code, m, tc.status, tc.reason)
		}
	}
	if code, m, _ := call(t, "GET", base+"/v1/lookup?phone=06-12345678", pbx, ""); code != 200 || str(m, "customer.customer.displayName") != "Jan de Vries" {
		t.Errorf("lookup with the PBX key: %d %v", code, m)
	}
	if code, _, _ := call(t, "GET", base+"/v1/nothing-here", pbx, ""); code != 404 {
		t.Errorf("unknown route: %d", code)
	}
}
