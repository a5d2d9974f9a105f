package sdkfinance

import (
	"strings"
	"testing"
)

func TestHTMLTitleWithInvalidUTF8(t *testing.T) {
	for _, body := range []string{
		"\xe9\xe9\xe9\xe9<title>",
		"\xf90000000000000000<title>",
		"\xe9\xe9<TITLE>Bad \xe9 Gateway</title>",
		"İİİİ<title>x</title>",
	} {
		got := snippet([]byte(body)) // must not panic
		if strings.ContainsAny(got, "\n\r") {
			t.Errorf("snippet(%q) = %q, want one line", body, got)
		}
	}
	if got, _ := htmlTitle("\xe9\xe9<TITLE>Bad Gateway</title>"); got != "Bad Gateway" {
		t.Errorf("htmlTitle = %q, want Bad Gateway", got)
	}
}

func TestTruncateShortLimits(t *testing.T) {
	for n := -1; n <= 4; n++ {
		got := truncate("abcdefgh", n)
		if len(got) > max(n, 0) {
			t.Errorf("truncate(_, %d) = %q, longer than %d bytes", n, got, n)
		}
	}
}

func TestOutcomeUnknownErrorWithLongMdcID(t *testing.T) {
	cause := &APIError{StatusCode: 500, Method: "POST", Path: "/x", MdcID: strings.Repeat("m", 49)}
	err := &OutcomeUnknownError{Action: "approve", RequestID: "r1", Err: cause, LookupErr: cause}
	msg := err.Error() // must not panic
	if len(msg) > maxErrorLen {
		t.Errorf("error text is %d bytes, want at most %d", len(msg), maxErrorLen)
	}
}
