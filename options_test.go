package sdkfinance

import (
	"errors"
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
