package sdkfinance

import (
	"context"
	"net/http"
	"time"
)

// RequestInfo describes one attempt of an operation to a [RequestHook].
type RequestInfo struct {
	// Operation is the operationId in openapi.yaml, such as
	// "approveResetIdentification".
	Operation string
	// Attempt counts from 1; a retry or a replay after a fresh login
	// sends the request again with the next number, or the same number
	// for a replay.
	Attempt int
}

// RequestHook receives every request just before it is sent, retries
// included, and may set headers on it, such as a trace id; they are set
// again on every attempt. It must not read or replace the body. The
// Authorization header is already set: never log it.
type RequestHook func(ctx context.Context, info RequestInfo, req *http.Request)

// ResponseInfo describes how one attempt ended to a [ResponseHook].
type ResponseInfo struct {
	Operation string
	Attempt   int
	// StatusCode is zero when no response arrived.
	StatusCode int
	// Header is the response's header, or nil.
	Header http.Header
	// Err is the transport error, or the error reading the body.
	Err error
	// Duration runs from sending the request to reading the whole body.
	Duration time.Duration
}

// ResponseHook receives how every attempt ended, retries included, for
// metrics or tracing. The body is already read and closed.
type ResponseHook func(ctx context.Context, info ResponseInfo)

// WithRequestHook sets a hook called before every attempt of every
// request. Hooks run on the calling goroutine and must be safe for
// concurrent use when the client is.
func WithRequestHook(h RequestHook) Option {
	return func(cfg *config) error {
		if h == nil {
			return invalidOption("WithRequestHook", "got a nil function")
		}
		cfg.requestHook = h
		return nil
	}
}

// WithResponseHook sets a hook called after every attempt of every
// request, whether a response arrived or not.
func WithResponseHook(h ResponseHook) Option {
	return func(cfg *config) error {
		if h == nil {
			return invalidOption("WithResponseHook", "got a nil function")
		}
		cfg.responseHook = h
		return nil
	}
}
