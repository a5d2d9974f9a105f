package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const testSeed = `{
  "users": [
    {"ref": "alex", "name": "Alex Example"},
    {"id": "user-sam", "name": "Sam Example", "login": "sam@sandbox.local", "password": "sam-pw"}
  ],
  "operators": [
    {"login": "viewer@sandbox.local", "password": "viewer-pw", "permissions": []}
  ],
  "resetRequests": [
    {"user": "alex", "id": "request-1", "description": "Passport expired"},
    {"user": "user-sam", "id": "request-2", "status": "DECLINED"}
  ]
}`

// lockedBuffer is a bytes.Buffer that the logger's goroutines and the
// test can use at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// sandboxRun is a run of the program in a goroutine.
type sandboxRun struct {
	apiRoot string
	banner  string
	stderr  *lockedBuffer
	cancel  context.CancelFunc
	done    chan error
}

// startRun starts run with args and reads the banner up to its last line.
func startRun(t *testing.T, args ...string) *sandboxRun {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	stdoutReader, stdoutWriter := io.Pipe()
	r := &sandboxRun{stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := run(ctx, args, stdoutWriter, r.stderr)
		stdoutWriter.CloseWithError(io.EOF)
		r.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		stdoutReader.Close()
	})

	var banner strings.Builder
	scanner := bufio.NewScanner(stdoutReader)
	for scanner.Scan() {
		line := scanner.Text()
		banner.WriteString(line + "\n")
		if root, ok := strings.CutPrefix(line, "SDK.Finance sandbox listening on "); ok {
			r.apiRoot = root
		}
		if line == "Press Ctrl+C to stop." {
			break
		}
	}
	r.banner = banner.String()
	if r.apiRoot == "" {
		cancel()
		t.Fatalf("run printed no API root (error %v); stdout:\n%s\nstderr:\n%s",
			<-r.done, r.banner, r.stderr)
	}
	// Drain stdout so that a late write never blocks the program.
	go func() { _, _ = io.Copy(io.Discard, stdoutReader) }()
	return r
}

// stop cancels the run's context and returns run's error.
func (r *sandboxRun) stop() error {
	r.cancel()
	return <-r.done
}

// post sends a JSON request and returns the status and decoded body.
func post(t *testing.T, method, target, authorization, body string) (int, map[string]any) {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, reader)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: decode the body: %v", method, target, err)
	}
	return resp.StatusCode, out
}

// login logs in and returns the Authorization header value.
func login(t *testing.T, apiRoot, user, password string) string {
	t.Helper()
	body := fmt.Sprintf(`{"login":%q,"password":%q}`, user, password)
	status, out := post(t, http.MethodPost, apiRoot+"/authorization", "", body)
	if status != http.StatusOK {
		t.Fatalf("login of %s: status %d, body %v", user, status, out)
	}
	token, _ := out["authorizationToken"].(map[string]any)["token"].(string)
	if token == "" {
		t.Fatalf("login of %s: no token in %v", user, out)
	}
	return "TOKEN " + token
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestRunServesSeededSandbox(t *testing.T) {
	seedFile := writeFile(t, testSeed)
	r := startRun(t, "-addr", "127.0.0.1:0", "-seed", seedFile, "-max-page-size", "5", "-v")

	if !strings.HasPrefix(r.apiRoot, "http://127.0.0.1:") || !strings.HasSuffix(r.apiRoot, "/api/v1") {
		t.Errorf("API root = %q, want http://127.0.0.1:<port>/api/v1", r.apiRoot)
	}
	for _, want := range []string{
		"Operator login:    operator@sandbox.local",
		"Operator password: sandbox-operator-password",
		"curl -s -X POST " + r.apiRoot + "/authorization",
		"Seeded users: 2, operators: 1, reset requests: 2",
		"reset request request-1  user 00000002-0000-4000-8000-000000000002  PENDING",
		"login sam@sandbox.local  password sam-pw",
		"SDKFINANCE_BASE_URL=" + r.apiRoot,
	} {
		if !strings.Contains(r.banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, r.banner)
		}
	}

	operator := login(t, r.apiRoot, "operator@sandbox.local", "sandbox-operator-password")
	view := r.apiRoot + "/profiles/view-reset-identification-requests"
	status, page := post(t, http.MethodPost, view, operator, `{"filter":{"status":"PENDING"},"pageSize":5}`)
	if status != http.StatusOK {
		t.Fatalf("view: status %d, body %v", status, page)
	}
	records, _ := page["records"].([]any)
	if len(records) != 1 || records[0].(map[string]any)["id"] != "request-1" {
		t.Errorf("pending records = %v, want request-1 alone", records)
	}

	// -max-page-size 5 limits the page size.
	status, body := post(t, http.MethodPost, view, operator, `{"pageSize":6}`)
	if status != http.StatusBadRequest {
		t.Errorf("view with pageSize 6: status %d, body %v; want 400", status, body)
	}

	// The seeded operator has no permissions.
	viewer := login(t, r.apiRoot, "viewer@sandbox.local", "viewer-pw")
	if status, body := post(t, http.MethodPost, view, viewer, "{}"); status != http.StatusForbidden {
		t.Errorf("view as the seeded viewer: status %d, body %v; want 403", status, body)
	}

	// The seeded user logs in with the seeded password and requests a
	// reset, which the operator approves.
	sam := login(t, r.apiRoot, "sam@sandbox.local", "sam-pw")
	status, own := post(t, http.MethodPost, r.apiRoot+"/profiles/my/reset-identification", sam, "")
	if status != http.StatusOK {
		t.Fatalf("own reset request of sam: status %d, body %v", status, own)
	}
	id, _ := own["request"].(map[string]any)["id"].(string)
	approve := r.apiRoot + "/profiles/user-sam/reset-identification-requests/" + id + "/approve"
	if status, body := post(t, http.MethodPost, approve, operator, ""); status != http.StatusOK {
		t.Errorf("approve %s: status %d, body %v", id, status, body)
	}

	if err := r.stop(); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	logs := r.stderr.String()
	for _, want := range []string{
		`msg="sandbox started"`,
		"msg=request method=POST path=/api/v1/authorization status=200",
		"path=/api/v1/profiles/view-reset-identification-requests status=403",
		`msg="sandbox stopped"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{"sam-pw", "viewer-pw", strings.TrimPrefix(operator, "TOKEN ")} {
		if strings.Contains(logs, secret) {
			t.Errorf("stderr contains the secret %q:\n%s", secret, logs)
		}
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, r.apiRoot+"/authorization", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("request after stop: status %d, want a connection error", resp.StatusCode)
	}
}

func TestRunWithoutSeedOrVerbose(t *testing.T) {
	r := startRun(t, "-addr", "127.0.0.1:0", "-token-ttl", "1ns")
	if strings.Contains(r.banner, "Seeded") {
		t.Errorf("banner without -seed lists seeded entries:\n%s", r.banner)
	}

	// A TTL of one nanosecond expires every token before its first use.
	operator := login(t, r.apiRoot, "operator@sandbox.local", "sandbox-operator-password")
	status, body := post(t, http.MethodPost, r.apiRoot+"/profiles/view-reset-identification-requests",
		operator, "{}")
	if status != http.StatusUnauthorized || body["code"] != "TOKEN_EXPIRED" {
		t.Errorf("view with an expired token: status %d, body %v; want 401 TOKEN_EXPIRED", status, body)
	}

	if err := r.stop(); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	if logs := r.stderr.String(); strings.Contains(logs, "msg=request") {
		t.Errorf("stderr without -v logs requests:\n%s", logs)
	}
}

func TestRunRejectsInvalidSettings(t *testing.T) {
	badSeed := writeFile(t, `{"users": [{"name": "A"}, {"nmae": "B"}],
		"resetRequests": [{"user": "nobody"}]}`)
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  []string
	}{
		{"all interfaces", []string{"-addr", "0.0.0.0:0"}, true, []string{`invalid -addr "0.0.0.0:0"`, "loopback"}},
		{"empty host", []string{"-addr", ":8080"}, true, []string{`invalid -addr ":8080"`, "loopback"}},
		{"IPv6 any", []string{"-addr", "[::]:0"}, true, []string{"loopback"}},
		{"host name", []string{"-addr", "localhost:0"}, true, []string{"loopback IP address"}},
		{"documentation address", []string{"-addr", "192.0.2.1:80"}, true, []string{"loopback"}},
		{"no port", []string{"-addr", "127.0.0.1"}, true, []string{"use host:port"}},
		{"named port", []string{"-addr", "127.0.0.1:http"}, true, []string{`invalid port "http"`}},
		{"port out of range", []string{"-addr", "127.0.0.1:65536"}, true, []string{`invalid port "65536"`}},
		{"zero page size", []string{"-max-page-size", "0"}, true, []string{"invalid -max-page-size 0"}},
		{"negative TTL", []string{"-token-ttl", "-1s"}, true, []string{"invalid -token-ttl -1s"}},
		{"argument", []string{"extra"}, true, []string{`unexpected argument "extra"`}},
		{"unknown flag", []string{"-bogus"}, true, []string{"-bogus"}},
		{"missing seed file", []string{"-addr", "127.0.0.1:0", "-seed", filepath.Join(t.TempDir(), "none.json")},
			false, []string{"read the seed", "none.json"}},
		{"invalid seed", []string{"-addr", "127.0.0.1:0", "-seed", badSeed}, false,
			[]string{"invalid seed file " + badSeed, `users[1]: unknown field "nmae"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if err == nil {
				t.Fatal("run returned nil error")
			}
			var usageErr *usageError
			if got := errors.As(err, &usageErr); got != tt.usage {
				t.Errorf("error %q is a usage error: %v, want %v", err, got, tt.usage)
			}
			text := err.Error() + stderr.String()
			for _, want := range tt.want {
				if !strings.Contains(text, want) {
					t.Errorf("error %q and stderr %q lack %q", err, stderr.String(), want)
				}
			}
			if stdout.Len() != 0 {
				t.Errorf("run printed a banner before failing:\n%s", stdout.String())
			}
		})
	}
}

func TestCheckLoopbackAccepts(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", "127.0.0.1:0", "127.1.2.3:80", "[::1]:0", "[::ffff:127.0.0.1]:0"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("checkLoopback(%q) = %v, want nil", addr, err)
		}
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"-h"}, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("run -h: error %v, want flag.ErrHelp", err)
	}
	for _, name := range []string{"-addr", "-seed", "-max-page-size", "-token-ttl", "-v"} {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("help lacks %s:\n%s", name, stderr.String())
		}
	}
}
