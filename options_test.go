package sdkfinance

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWithRetryRejectsBaseAboveMax(t *testing.T) {
	_, err := NewClient("https://sdkfinance.test/api/v1",
		WithRetry(RetryPolicy{BaseDelay: 10 * time.Second, MaxDelay: time.Second}))
	if !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("error = %v, want ErrInvalidArgument", err)
	}
	var iae *InvalidArgumentError
	if !errors.As(err, &iae) || iae.Name != "WithRetry" {
		t.Errorf("error = %#v, want an *InvalidArgumentError naming WithRetry", err)
	}
}

func TestZeroClientFailsClearly(t *testing.T) {
	var c Client
	if got := c.String(); got == "" {
		t.Error("String of a zero Client is empty")
	}
	_, err := c.ListResetRequests(t.Context(), ListQuery{})
	if !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ListResetRequests on a zero Client: error = %v, want ErrInvalidArgument", err)
	}
	var nilClient *Client
	if _, err := nilClient.ResetIdentification(t.Context(), "u", "r"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ResetIdentification on a nil *Client: error = %v, want ErrInvalidArgument", err)
	}
}

func TestDebugLogNamesEveryRequest(t *testing.T) {
	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"records":[],"totalPages":0,"totalRecords":0}`))
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL+"/api/v1", WithToken("debug-token-1"), WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListResetRequests(t.Context(), ListQuery{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"sdkfinance: request", "operation=viewResetIdentificationRequests",
		"status=200", "path=/api/v1/profiles/view-reset-identification-requests"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "debug-token-1") {
		t.Error("debug log holds the token")
	}
}
