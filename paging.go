package sdkfinance

import (
	"context"
	"fmt"
	"iter"
	"slices"
)

// maxLookupPages bounds how many pages one lookup reads, whatever the
// server reports, so that a server that never ends its list cannot keep a
// call busy for ever.
const maxLookupPages = 10_000

// findPending pages through the pending list until it finds request id.
//
// Paging is by offset, so a request approved by another operator during
// the scan moves every later record one place up, and a record can slip
// from the page not yet read to the page already read. When the server's
// total changes during a scan that did not find id, the scan is repeated
// once from the first page.
func (c *Client) findPending(ctx context.Context, id string) (*ResetRequest, error) {
	if err := c.auth.requirePermission(ctx, PermissionResetIdentification); err != nil {
		return nil, err
	}
	pagesRead := 0
	for scan := 0; scan < 2; scan++ {
		q := ListQuery{Status: StatusPending, PageSize: c.pageSize}
		rec, shifted, pages, err := c.scan(ctx, q, id)
		pagesRead += pages
		if err != nil || rec != nil {
			return rec, err
		}
		if !shifted {
			break
		}
	}
	return nil, &NotPendingError{RequestID: id, PagesRead: pagesRead}
}

// scan reads the list that q selects once from its first page until it
// finds request id. It returns the record when found, whether the total
// changed while it read, and how many pages it read.
func (c *Client) scan(ctx context.Context, q ListQuery, id string) (*ResetRequest, bool, int, error) {
	var firstTotal int64
	var previousIDs []string
	shifted := false
	bound := maxLookupPages
	for page := 0; page < bound; page++ {
		q.PageNumber = page
		p, err := c.ListResetRequests(ctx, q)
		if err != nil {
			return nil, false, page, err
		}
		if i := slices.IndexFunc(p.Records, func(r ResetRequest) bool { return r.ID == id }); i >= 0 {
			return &p.Records[i], false, page + 1, nil
		}

		if page == 0 {
			firstTotal = p.TotalRecords
			bound = pageBound(p.TotalRecords, q.PageSize, len(p.Records))
		} else if p.TotalRecords != firstTotal {
			shifted = true
		}
		ids := recordIDs(p.Records)
		if page > 0 && slices.Equal(ids, previousIDs) {
			return nil, false, page + 1, fmt.Errorf("sdkfinance: the list returned page %d "+
				"equal to page %d; the server may ignore pageNumber: %w", page, page-1, ErrInvalidResponse)
		}
		previousIDs = ids

		if !morePages(p, page, q.PageSize) {
			return nil, shifted, page + 1, nil
		}
	}
	return nil, false, bound, fmt.Errorf("sdkfinance: the list did not end after %d pages, "+
		"more than its total of records allows: %w", bound, ErrInvalidResponse)
}

// morePages reports whether a page after p, which is page number page,
// may hold records. A server that reports totalPages as 0 while sending
// records is trusted as long as its pages come full.
func morePages(p *ResetRequestPage, page, pageSize int) bool {
	if len(p.Records) == 0 {
		return false
	}
	if page+1 < p.TotalPages {
		return true
	}
	return p.TotalPages == 0 && len(p.Records) >= pageSize
}

// pageBound returns how many pages a scan may read: enough for the
// reported total of records, with one page to spare for records added
// during the scan, and never more than maxLookupPages.
func pageBound(totalRecords int64, pageSize, firstPageLen int) int {
	size := int64(max(pageSize, firstPageLen, 1))
	if totalRecords <= 0 {
		return maxLookupPages
	}
	pages := (totalRecords+size-1)/size + 1
	return int(min(pages, maxLookupPages))
}

func recordIDs(records []ResetRequest) []string {
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.ID
	}
	return ids
}

// ResetRequests returns an iterator over every reset request that q
// selects, from page q.PageNumber on, fetching one page at a time, so it
// holds at most one page of records. It stops at the last page, when the
// loop breaks, or after yielding the first error. q is copied; the caller
// may change it afterwards. Pages are by offset, so a request approved
// during the iteration can shift another one onto a page already read.
//
// An iterator is for one goroutine; the Client behind it is safe for
// concurrent use.
func (c *Client) ResetRequests(ctx context.Context, q ListQuery) iter.Seq2[ResetRequest, error] {
	return func(yield func(ResetRequest, error) bool) {
		q := q
		if q.PageSize == 0 {
			q.PageSize = c.pageSize
		}
		var previousIDs []string
		bound := maxLookupPages
		for read := 0; read < bound; read++ {
			p, err := c.ListResetRequests(ctx, q)
			if err != nil {
				yield(ResetRequest{}, err)
				return
			}
			ids := recordIDs(p.Records)
			if read > 0 && len(ids) > 0 && slices.Equal(ids, previousIDs) {
				yield(ResetRequest{}, fmt.Errorf("sdkfinance: the list returned page %d equal to "+
					"the page before; the server may ignore pageNumber: %w", q.PageNumber, ErrInvalidResponse))
				return
			}
			previousIDs = ids
			if read == 0 {
				bound = pageBound(p.TotalRecords, q.PageSize, len(p.Records))
			}
			for _, r := range p.Records {
				if !yield(r, nil) {
					return
				}
			}
			if !morePages(p, q.PageNumber, q.PageSize) {
				return
			}
			q.PageNumber++
		}
		yield(ResetRequest{}, fmt.Errorf("sdkfinance: the list did not end after %d pages, "+
			"more than its total of records allows: %w", bound, ErrInvalidResponse))
	}
}
