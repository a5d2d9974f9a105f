package sdkfinance_test

// The benchmarks compare the SDK with a hand-written net/http and
// encoding/json client (the floor) and with the bare generated client, on
// the same requests to the same server in the same run. BENCHMARKS.md has
// the commands and the results.
//
// The floor, SDK and generated-client benchmarks talk to a server that
// runs in a child process (the test binary started again with
// benchServerEnv set) and responds to every request with fixed bodies, which
// it captured from an sdkfinancetest sandbox at start. This server is
// preferred over the sandbox itself for two reasons:
//
//   - An approve there always succeeds, so every iteration does the same
//     server work, for every client. On the sandbox each iteration would
//     need a fresh pending request, seeded outside the timer, and the
//     sandbox's list filters all stored records on every request, so the
//     cost of an iteration would grow with b.N.
//   - A server in another process keeps its own allocations out of the
//     allocs/op and heap figures, which then count the client alone.
//
// The lookup benchmark needs the sandbox's per-request latency fault and
// runs against an sdkfinancetest server in this process.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/internal/api"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// benchServerEnv makes TestBenchServerProcess serve the benchmarks.
const benchServerEnv = "SDKFINANCE_BENCH_SERVER"

// benchToken is the only token the benchmark server accepts.
const benchToken = "bench-token-0123456789abcdef"

// benchDescription is the description of every benchmark record, as long
// as a typical one.
const benchDescription = "Passport expired; new documents to follow"

// benchDatasets maps a dataset name to the number of pending records it
// holds and the page size its list body was captured with: the SDK's
// default page size, or the whole dataset when it is larger.
var benchDatasets = map[string]struct{ records, pageSize int }{
	"1":    {1, sdkfinance.DefaultPageSize},
	"100":  {100, sdkfinance.DefaultPageSize},
	"1000": {1000, 1000},
}

// benchTarget is the last pending record of a dataset, which the
// ResetIdentification benchmarks look up and approve.
type benchTarget struct {
	UserID    string `json:"userId"`
	RequestID string `json:"requestId"`
}

// benchServerInfo is the line the server process prints when it listens.
type benchServerInfo struct {
	Addr    string                 `json:"addr"`
	Targets map[string]benchTarget `json:"targets"`
}

// TestBenchServerProcess is not a test: the benchmarks run the test binary
// again with benchServerEnv set, and this function then serves them until
// its standard input closes, which happens when the benchmark process
// exits.
func TestBenchServerProcess(t *testing.T) {
	if os.Getenv(benchServerEnv) != "1" {
		t.Skip("runs only as the benchmarks' server process")
	}
	if err := serveBenchmarks(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmark server:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveBenchmarks captures the datasets, listens on 127.0.0.1, prints a
// benchServerInfo line and serves until standard input closes, or for an
// hour at most.
func serveBenchmarks() error {
	bodies := map[string]capturedBodies{}
	info := benchServerInfo{Targets: map[string]benchTarget{}}
	for name, d := range benchDatasets {
		c, err := captureBodies(d.records, d.pageSize)
		if err != nil {
			return fmt.Errorf("capture dataset %s: %w", name, err)
		}
		bodies[name] = c
		info.Targets[name] = c.target
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	info.Addr = listener.Addr().String()
	srv := &http.Server{Handler: benchHandler(bodies)}
	go func() { _ = srv.Serve(listener) }()

	line, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if _, err := fmt.Printf("%s\n", line); err != nil {
		return err
	}
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
	case <-time.After(time.Hour):
	}
	return srv.Close()
}

// capturedBodies are a sandbox's responses to the requests of one
// ResetIdentification: the pending list and the approve of its last
// record.
type capturedBodies struct {
	list    []byte
	approve []byte
	target  benchTarget
}

// captureBodies seeds a sandbox with records pending requests, one user
// each, and records its responses to a list of the first pageSize pending
// records and to the approve of the last record.
func captureBodies(records, pageSize int) (capturedBodies, error) {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		return capturedBodies{}, err
	}
	defer srv.Close()

	var last sdkfinancetest.ResetRequest
	for i := range records {
		user := srv.AddUser(fmt.Sprintf("Bench User %d", i))
		last, err = srv.AddResetRequest(user.ID, sdkfinancetest.WithDescription(benchDescription))
		if err != nil {
			return capturedBodies{}, err
		}
	}
	token, err := srv.IssueToken(srv.Operator.Login)
	if err != nil {
		return capturedBodies{}, err
	}

	listRequest := fmt.Sprintf(`{"filter":{"status":"PENDING"},"pageNumber":0,"pageSize":%d}`, pageSize)
	list, err := postForBody(srv.URL+"/profiles/view-reset-identification-requests", token, listRequest)
	if err != nil {
		return capturedBodies{}, err
	}
	approve, err := postForBody(srv.URL+"/profiles/"+url.PathEscape(last.InitiatorUserID)+
		"/reset-identification-requests/"+url.PathEscape(last.ID)+"/approve", token, "")
	if err != nil {
		return capturedBodies{}, err
	}
	return capturedBodies{list: list, approve: approve,
		target: benchTarget{UserID: last.InitiatorUserID, RequestID: last.ID}}, nil
}

// postForBody sends a POST with a JSON body and returns the body of a 200
// response.
func postForBody(target, token, body string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader([]byte(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "TOKEN "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: status %d: %s", target, resp.StatusCode, data)
	}
	return data, nil
}

// benchHandler serves the captured bodies under /fixed/{dataset}/api/v1
// and generated pages of {records} records under
// /synthetic/{records}/api/v1. It decodes every list request body and
// checks the token, as the sandbox does, so each client costs the server
// the same.
func benchHandler(bodies map[string]capturedBodies) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /fixed/{dataset}/api/v1/profiles/view-reset-identification-requests",
		func(w http.ResponseWriter, r *http.Request) {
			c, ok := bodies[r.PathValue("dataset")]
			if !ok || !benchRequestValid(w, r, true) {
				return
			}
			writeBenchJSON(w, c.list)
		})
	mux.HandleFunc("POST /fixed/{dataset}/api/v1/profiles/{userId}/reset-identification-requests/{id}/approve",
		func(w http.ResponseWriter, r *http.Request) {
			c, ok := bodies[r.PathValue("dataset")]
			if !ok || !benchRequestValid(w, r, false) {
				return
			}
			writeBenchJSON(w, c.approve)
		})
	mux.HandleFunc("POST /synthetic/{records}/api/v1/profiles/view-reset-identification-requests",
		func(w http.ResponseWriter, r *http.Request) {
			total, err := strconv.Atoi(r.PathValue("records"))
			if err != nil {
				http.Error(w, "invalid record count", http.StatusNotFound)
				return
			}
			var q api.ResetRequestPageRequest
			if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body, err := json.Marshal(syntheticPage(total, q))
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			writeBenchJSON(w, body)
		})
	return mux
}

// benchRequestValid checks the token and, for a list, decodes the request
// body. It writes an error response and returns false when either fails.
func benchRequestValid(w http.ResponseWriter, r *http.Request, hasBody bool) bool {
	if r.Header.Get("Authorization") != "TOKEN "+benchToken {
		http.Error(w, `{"code":"UNAUTHORIZED"}`, http.StatusUnauthorized)
		return false
	}
	if hasBody {
		var q api.ResetRequestPageRequest
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, `{"code":"INVALID_REQUEST"}`, http.StatusBadRequest)
			return false
		}
	}
	return true
}

func writeBenchJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// syntheticPage returns page q of a list of total pending records, in the
// shape the sandbox sends.
func syntheticPage(total int, q api.ResetRequestPageRequest) api.ResetRequestPage {
	pageNumber, pageSize := 0, 20
	if q.PageNumber != nil {
		pageNumber = int(*q.PageNumber)
	}
	if q.PageSize != nil && *q.PageSize > 0 {
		pageSize = int(*q.PageSize)
	}
	start := min(pageNumber*pageSize, total)
	end := min(start+pageSize, total)
	records := make([]api.ResetRequest, 0, end-start)
	for i := start; i < end; i++ {
		id := fmt.Sprintf("00000003-0000-4000-8000-%012d", i)
		userID := fmt.Sprintf("00000002-0000-4000-8000-%012d", i)
		orgID := fmt.Sprintf("00000001-0000-4000-8000-%012d", i)
		description, status, role := benchDescription, "PENDING", "INDIVIDUAL"
		records = append(records, api.ResetRequest{ID: &id, InitiatorUserID: &userID,
			OrganizationID: &orgID, Description: &description, Status: &status, InitiatorRole: &role})
	}
	status, message := "ok", "processed successfully"
	number, size := int32(pageNumber), int32(pageSize)
	totalRecords, totalPages := int64(total), int32((total+pageSize-1)/pageSize)
	return api.ResetRequestPage{Status: &status, Message: &message, PageNumber: &number,
		PageSize: &size, TotalRecords: &totalRecords, TotalPages: &totalPages, Records: &records}
}

var (
	benchServerOnce sync.Once
	benchServer     benchServerInfo
	benchServerErr  error
	// benchServerStdin is kept referenced so that its finalizer cannot
	// close it, which would stop the server process.
	benchServerStdin io.WriteCloser
)

// startBenchServer starts the server process once per test binary. The
// process exits when this one does, because its standard input closes.
func startBenchServer(b *testing.B) benchServerInfo {
	b.Helper()
	benchServerOnce.Do(func() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServerProcess$")
		cmd.Env = append(os.Environ(), benchServerEnv+"=1")
		cmd.Stderr = os.Stderr
		// The pipe stays open for the life of this process.
		if benchServerStdin, benchServerErr = cmd.StdinPipe(); benchServerErr != nil {
			return
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			benchServerErr = err
			return
		}
		if benchServerErr = cmd.Start(); benchServerErr != nil {
			return
		}
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		if err != nil {
			benchServerErr = fmt.Errorf("read the benchmark server's address: %w", err)
			return
		}
		benchServerErr = json.Unmarshal(line, &benchServer)
	})
	if benchServerErr != nil {
		b.Fatalf("start the benchmark server: %v", benchServerErr)
	}
	return benchServer
}

// newBenchHTTPClient returns a client with the transport settings of the
// SDK's default transport, for the floor and the generated client.
func newBenchHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2 * max(sdkfinance.DefaultLookupConcurrency, sdkfinance.DefaultBatchConcurrency)
	return &http.Client{Transport: t}
}

// floorRecord and floorPage are what a hand-written client decodes.
type floorRecord struct {
	ID              string `json:"id"`
	Description     string `json:"description"`
	OrganizationID  string `json:"organizationId"`
	Status          string `json:"status"`
	InitiatorUserID string `json:"initiatorUserId"`
	InitiatorRole   string `json:"initiatorRole"`
}

type floorPage struct {
	Records      []floorRecord `json:"records"`
	PageNumber   int           `json:"pageNumber"`
	PageSize     int           `json:"pageSize"`
	TotalRecords int64         `json:"totalRecords"`
	TotalPages   int           `json:"totalPages"`
}

type floorEnvelope struct {
	Request floorRecord `json:"request"`
	Status  string      `json:"status"`
	Message string      `json:"message"`
}

type floorListRequest struct {
	Filter     floorFilter `json:"filter"`
	PageNumber int         `json:"pageNumber"`
	PageSize   int         `json:"pageSize"`
}

type floorFilter struct {
	Status string `json:"status"`
}

// floorPost sends one POST and decodes a 200 response's JSON into out.
func floorPost(ctx context.Context, hc *http.Client, target string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "TOKEN "+benchToken)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("POST %s: status %d", target, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// floorList is the hand-written list request of one page of pending
// records.
func floorList(ctx context.Context, hc *http.Client, base string, pageSize int) (*floorPage, error) {
	var page floorPage
	in := floorListRequest{Filter: floorFilter{Status: "PENDING"}, PageSize: pageSize}
	if err := floorPost(ctx, hc, base+"/profiles/view-reset-identification-requests", in, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// floorReset is the hand-written ResetIdentification: one list page, a
// check of the initiator, one approve.
func floorReset(ctx context.Context, hc *http.Client, base, userID, id string) (*floorEnvelope, error) {
	page, err := floorList(ctx, hc, base, sdkfinance.DefaultPageSize)
	if err != nil {
		return nil, err
	}
	found := false
	for _, r := range page.Records {
		if r.ID == id {
			if r.InitiatorUserID != userID {
				return nil, errors.New("the request belongs to another user")
			}
			found = true
			break
		}
	}
	if !found {
		return nil, errors.New("no pending request with that id")
	}
	var env floorEnvelope
	target := base + "/profiles/" + url.PathEscape(userID) + "/reset-identification-requests/" +
		url.PathEscape(id) + "/approve"
	if err := floorPost(ctx, hc, target, nil, &env); err != nil {
		return nil, err
	}
	return &env, nil
}

// newBenchGenerated returns the bare generated client, sending the token.
func newBenchGenerated(b *testing.B, base string) *api.ClientWithResponses {
	b.Helper()
	gen, err := api.NewClientWithResponses(base, api.WithHTTPClient(newBenchHTTPClient()),
		api.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "TOKEN "+benchToken)
			return nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	return gen
}

// generatedReset is ResetIdentification through the generated client.
func generatedReset(ctx context.Context, gen *api.ClientWithResponses, userID, id string) (
	*api.ResetRequestEnvelope, error) {
	pending, pageNumber, pageSize := "PENDING", int32(0), int32(sdkfinance.DefaultPageSize)
	list, err := gen.ViewResetIdentificationRequestsWithResponse(ctx, api.ResetRequestPageRequest{
		Filter: &api.ResetRequestFilter{Status: &pending}, PageNumber: &pageNumber, PageSize: &pageSize})
	if err != nil {
		return nil, err
	}
	if list.JSON200 == nil || list.JSON200.Records == nil {
		return nil, fmt.Errorf("list: status %d", list.StatusCode())
	}
	found := false
	for _, r := range *list.JSON200.Records {
		if r.ID != nil && *r.ID == id {
			if r.InitiatorUserID == nil || *r.InitiatorUserID != userID {
				return nil, errors.New("the request belongs to another user")
			}
			found = true
			break
		}
	}
	if !found {
		return nil, errors.New("no pending request with that id")
	}
	approve, err := gen.ApproveResetIdentificationWithResponse(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if approve.JSON200 == nil {
		return nil, fmt.Errorf("approve: status %d", approve.StatusCode())
	}
	return approve.JSON200, nil
}

func newBenchSDK(b *testing.B, base string, opts ...sdkfinance.Option) *sdkfinance.Client {
	b.Helper()
	client, err := sdkfinance.NewClient(base, append([]sdkfinance.Option{sdkfinance.WithToken(benchToken)},
		opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return client
}

// BenchmarkResetIdentification runs one ResetIdentification per
// iteration: a list of the first page of pending requests, holding 1 or
// 100 records with the target last, and an approve.
func BenchmarkResetIdentification(b *testing.B) {
	ctx := context.Background()
	for _, dataset := range []string{"1", "100"} {
		b.Run("records="+dataset, func(b *testing.B) {
			info := startBenchServer(b)
			base := "http://" + info.Addr + "/fixed/" + dataset + "/api/v1"
			target := info.Targets[dataset]

			b.Run("client=floor", func(b *testing.B) {
				hc := newBenchHTTPClient()
				b.ReportAllocs()
				for b.Loop() {
					env, err := floorReset(ctx, hc, base, target.UserID, target.RequestID)
					if err != nil {
						b.Fatal(err)
					}
					if env.Request.Status != "APPROVED" {
						b.Fatalf("status = %q, want APPROVED", env.Request.Status)
					}
				}
			})
			b.Run("client=sdk", func(b *testing.B) {
				client := newBenchSDK(b, base)
				b.ReportAllocs()
				for b.Loop() {
					res, err := client.ResetIdentification(ctx, target.UserID, target.RequestID)
					if err != nil {
						b.Fatal(err)
					}
					if res.Request.Status != sdkfinance.StatusApproved {
						b.Fatalf("status = %q, want APPROVED", res.Request.Status)
					}
				}
			})
			b.Run("client=generated", func(b *testing.B) {
				gen := newBenchGenerated(b, base)
				b.ReportAllocs()
				for b.Loop() {
					env, err := generatedReset(ctx, gen, target.UserID, target.RequestID)
					if err != nil {
						b.Fatal(err)
					}
					if env.Request == nil || env.Request.Status == nil || *env.Request.Status != "APPROVED" {
						b.Fatal("the approve did not return an APPROVED request")
					}
				}
			})
		})
	}
}

// BenchmarkListResetRequests lists and decodes one page of 1,000 pending
// records per iteration.
func BenchmarkListResetRequests(b *testing.B) {
	ctx := context.Background()
	const records = 1000
	info := startBenchServer(b)
	base := "http://" + info.Addr + "/fixed/" + strconv.Itoa(records) + "/api/v1"

	b.Run("records=1000/client=floor", func(b *testing.B) {
		hc := newBenchHTTPClient()
		b.ReportAllocs()
		for b.Loop() {
			page, err := floorList(ctx, hc, base, records)
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Records) != records {
				b.Fatalf("got %d records, want %d", len(page.Records), records)
			}
		}
	})
	b.Run("records=1000/client=sdk", func(b *testing.B) {
		client := newBenchSDK(b, base)
		q := sdkfinance.ListQuery{Status: sdkfinance.StatusPending, PageSize: records}
		b.ReportAllocs()
		for b.Loop() {
			page, err := client.ListResetRequests(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Records) != records {
				b.Fatalf("got %d records, want %d", len(page.Records), records)
			}
		}
	})
	b.Run("records=1000/client=generated", func(b *testing.B) {
		gen := newBenchGenerated(b, base)
		pending, pageNumber, pageSize := "PENDING", int32(0), int32(records)
		body := api.ResetRequestPageRequest{Filter: &api.ResetRequestFilter{Status: &pending},
			PageNumber: &pageNumber, PageSize: &pageSize}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := gen.ViewResetIdentificationRequestsWithResponse(ctx, body)
			if err != nil {
				b.Fatal(err)
			}
			if resp.JSON200 == nil || resp.JSON200.Records == nil || len(*resp.JSON200.Records) != records {
				b.Fatalf("status %d: not a page of %d records", resp.StatusCode(), records)
			}
		}
	})
}

// BenchmarkLookup looks up a request on the last of 50 pages of the
// pending list, with each list request delayed 5ms by the sandbox, one
// page at a time and with the default lookup concurrency. The lookup is
// CheckResetIdentification, which approves nothing, so every iteration
// reads the same pages.
func BenchmarkLookup(b *testing.B) {
	const (
		pages    = 50
		pageSize = 10
		latency  = 5 * time.Millisecond
	)
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	var last sdkfinancetest.ResetRequest
	for i := range pages * pageSize {
		user := srv.AddUser(fmt.Sprintf("Lookup User %d", i))
		if last, err = srv.AddResetRequest(user.ID); err != nil {
			b.Fatal(err)
		}
	}
	token, err := srv.IssueToken(srv.Operator.Login)
	if err != nil {
		b.Fatal(err)
	}
	srv.SetFaultFunc("viewResetIdentificationRequests", func(int) sdkfinancetest.Fault {
		return sdkfinancetest.Fault{Latency: latency}
	})

	for _, concurrency := range []int{1, sdkfinance.DefaultLookupConcurrency} {
		b.Run(fmt.Sprintf("pages=%d/concurrency=%d", pages, concurrency), func(b *testing.B) {
			client, err := sdkfinance.NewClient(srv.URL, sdkfinance.WithToken(token),
				sdkfinance.WithPageSize(pageSize), sdkfinance.WithLookupConcurrency(concurrency))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				rec, err := client.CheckResetIdentification(context.Background(),
					last.InitiatorUserID, last.ID)
				if err != nil {
					b.Fatal(err)
				}
				if rec.ID != last.ID {
					b.Fatalf("found %q, want %q", rec.ID, last.ID)
				}
			}
		})
	}
}

// BenchmarkResetRequestsIterator lists 10,000 and 100,000 records through
// the ResetRequests iterator, 1,000 a page. Besides allocs/op it reports
// B/record, the bytes allocated per record, and peak-heap-B, the largest
// HeapInuse sampled after each page less HeapInuse after a GC before the
// first iteration. HeapInuse counts garbage not yet collected too, so
// peak-heap-B is an upper bound of the live heap and moves with GOGC.
func BenchmarkResetRequestsIterator(b *testing.B) {
	const pageSize = 1000
	ctx := context.Background()
	info := startBenchServer(b)
	for _, records := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("records=%d", records), func(b *testing.B) {
			base := "http://" + info.Addr + "/synthetic/" + strconv.Itoa(records) + "/api/v1"
			client := newBenchSDK(b, base)
			q := sdkfinance.ListQuery{Status: sdkfinance.StatusPending, PageSize: pageSize}

			var stats runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&stats)
			baseline, allocatedBefore := stats.HeapInuse, stats.TotalAlloc
			var peak uint64
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				n := 0
				for rec, err := range client.ResetRequests(ctx, q) {
					if err != nil {
						b.Fatal(err)
					}
					if rec.ID == "" {
						b.Fatal("a record has no id")
					}
					n++
					if n%pageSize == 0 {
						runtime.ReadMemStats(&stats)
						peak = max(peak, stats.HeapInuse)
					}
				}
				if n != records {
					b.Fatalf("got %d records, want %d", n, records)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&stats)
			allocated := stats.TotalAlloc - allocatedBefore
			b.ReportMetric(float64(allocated)/float64(b.N*records), "B/record")
			b.ReportMetric(float64(peak)-float64(baseline), "peak-heap-B")
		})
	}
}
