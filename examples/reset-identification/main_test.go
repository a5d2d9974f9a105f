package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// env returns a getenv function over a fixed map.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestRunAgainstEmbeddedSandbox(t *testing.T) {
	s, err := parseSettings(nil, env(map[string]string{"SDKFINANCE_TOKEN": "stray-token"}))
	if err != nil {
		t.Fatalf("parseSettings: %v", err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), s, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}

	var result sdkfinance.ResetResult
	if err := json.Unmarshal(stdout.Bytes(), &result); err != nil {
		t.Fatalf("stdout is not the JSON result: %v\n%s", err, stdout.String())
	}
	if result.Status != "ok" || result.Request.Status != sdkfinance.StatusApproved {
		t.Errorf("result = %+v, want status ok and request APPROVED", result)
	}
	for _, key := range []string{`"request"`, `"initiatorUserId"`, `"organizationId"`, `"message"`} {
		if !strings.Contains(stdout.String(), key) {
			t.Errorf("stdout lacks %s, the API's response shape:\n%s", key, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "Pending reset requests: 1") {
		t.Errorf("stderr lacks the pending list:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String()+stdout.String(), sdkfinancetest.OperatorPassword) {
		t.Error("output holds the operator password")
	}
}

func TestRunAgainstConfiguredServer(t *testing.T) {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	user := srv.AddUser("Configured User")
	req, err := srv.AddResetRequest(user.ID)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"SDKFINANCE_BASE_URL": srv.URL,
		"SDKFINANCE_LOGIN":    srv.Operator.Login,
		"SDKFINANCE_PASSWORD": srv.Operator.Password,
	}

	s, err := parseSettings([]string{"-user", user.ID, "-request", req.ID}, env(vars))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), s, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v", err)
	}
	if n := srv.ApprovalCount(req.ID); n != 1 {
		t.Errorf("approvals = %d, want 1", n)
	}

	// The same request again is no longer pending: one clear error.
	err = run(context.Background(), s, &stdout, &stderr)
	if !errors.Is(err, sdkfinance.ErrNotFound) {
		t.Errorf("second run error = %v, want ErrNotFound", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err.Error())
	}

	// Without -user and -request the program only lists, which succeeds.
	s, err = parseSettings(nil, env(vars))
	if err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if err := run(context.Background(), s, &stdout, &stderr); err != nil {
		t.Errorf("list-only run: error %v, want none", err)
	}
	if !strings.Contains(stderr.String(), "Listed only") {
		t.Errorf("list-only run: stderr lacks the hint:\n%s", stderr.String())
	}
}

func TestParseSettingsRejects(t *testing.T) {
	cases := []struct {
		name string
		args []string
		vars map[string]string
	}{
		{"base URL without credentials", nil, map[string]string{"SDKFINANCE_BASE_URL": "https://h/api/v1"}},
		{"user without request", []string{"-user", "u"},
			map[string]string{"SDKFINANCE_BASE_URL": "https://h/api/v1", "SDKFINANCE_TOKEN": "t"}},
		{"stray argument", []string{"extra"}, nil},
		{"unknown flag", []string{"-nope"}, nil},
	}
	for _, c := range cases {
		if _, err := parseSettings(c.args, env(c.vars)); err == nil {
			t.Errorf("%s: parseSettings accepted it", c.name)
		}
	}
}

func TestRunWrongPasswordFailsInOneLine(t *testing.T) {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := settings{baseURL: srv.URL, login: srv.Operator.Login, password: "wrong-password-77",
		timeout: time.Minute}

	var stdout, stderr bytes.Buffer
	err = run(context.Background(), s, &stdout, &stderr)
	if !errors.Is(err, sdkfinance.ErrUnauthorized) {
		t.Fatalf("error = %v, want ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "401") {
		t.Errorf("error %q does not name the HTTP status", err)
	}
	if strings.Contains(err.Error(), "wrong-password-77") {
		t.Errorf("error %q holds the password", err)
	}
}
