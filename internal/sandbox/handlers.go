package sandbox

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// pageQuery is a validated ResetRequestPageRequest with defaults filled in.
type pageQuery struct {
	filter     ResetRequestFilter
	sort       ResetRequestSort
	pageNumber int
	pageSize   int
}

// ViewResetIdentificationRequests returns one page of reset requests. An
// absent body means the defaults: page 0 of DefaultPageSize records.
func (s *Sandbox) ViewResetIdentificationRequests(ctx context.Context,
	request ViewResetIdentificationRequestsRequestObject,
) (ViewResetIdentificationRequestsResponseObject, error) {
	q, apiErr := s.parsePageQuery(request.Body)
	if apiErr != nil {
		return ViewResetIdentificationRequestsdefaultJSONResponse(apiErr.response()), nil
	}
	return ViewResetIdentificationRequests200JSONResponse(s.faultedPage(ctx, q)), nil
}

func (s *Sandbox) parsePageQuery(body *ResetRequestPageRequest) (pageQuery, *apiError) {
	q := pageQuery{pageSize: min(DefaultPageSize, s.cfg.MaxPageSize)}
	if body == nil {
		return q, nil
	}
	if body.Filter != nil {
		q.filter = *body.Filter
	}
	if body.Sort != nil {
		q.sort = *body.Sort
	}
	if body.PageNumber != nil {
		q.pageNumber = int(*body.PageNumber)
	}
	if body.PageSize != nil {
		q.pageSize = int(*body.PageSize)
	}

	var apiErr *apiError
	addField := func(parameter, message string) {
		if apiErr == nil {
			apiErr = newError(http.StatusBadRequest, CodeInvalidRequest, parameter, message)
			return
		}
		apiErr.withField(parameter, message)
	}
	if q.pageNumber < 0 {
		addField("pageNumber", fmt.Sprintf("pageNumber %d is negative; pages count from 0",
			q.pageNumber))
	}
	if q.pageSize < 1 || q.pageSize > s.cfg.MaxPageSize {
		addField("pageSize", fmt.Sprintf("pageSize %d is out of range; use 1 to %d",
			q.pageSize, s.cfg.MaxPageSize))
		apiErr.withParameter("maxPageSize", strconv.Itoa(s.cfg.MaxPageSize))
	}
	for _, key := range []struct {
		name string
		dir  *SortDirection
	}{
		{"sort.organizationId", q.sort.OrganizationID},
		{"sort.status", q.sort.Status},
	} {
		if key.dir != nil && !key.dir.Valid() {
			addField(key.name, fmt.Sprintf("invalid sort direction %q; use asc or desc", *key.dir))
		}
	}
	return q, apiErr
}

// page returns the records that match q's filter, sorted, and cut to q's page.
func (s *Sandbox) page(q pageQuery) ResetRequestPage {
	var total int
	var window []Record
	if q.sort.OrganizationID == nil && q.sort.Status == nil {
		// Insertion order: copy only the page, so a long list stays cheap.
		total, window = s.matchingWindow(q.filter, q.pageNumber*q.pageSize, q.pageSize)
	} else {
		records := s.matchingRecords(q.filter)
		sortRecords(records, q.sort)
		total = len(records)
		start := min(q.pageNumber*q.pageSize, total)
		window = records[start:min(start+q.pageSize, total)]
	}

	totalPages := (total + q.pageSize - 1) / q.pageSize
	pageRecords := make([]ResetRequest, 0, len(window))
	for _, r := range window {
		pageRecords = append(pageRecords, toModel(r))
	}

	status, message := "ok", "processed successfully"
	pageNumber, pageSize := int32(q.pageNumber), int32(q.pageSize)
	totalRecords, pages := int64(total), int32(totalPages)
	return ResetRequestPage{
		Status:       &status,
		Message:      &message,
		PageNumber:   &pageNumber,
		PageSize:     &pageSize,
		TotalRecords: &totalRecords,
		TotalPages:   &pages,
		Records:      &pageRecords,
	}
}

// matchingRecords returns copies of the records that match filter, in
// insertion order.
func (s *Sandbox) matchingRecords(filter ResetRequestFilter) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()

	var out []Record
	for _, r := range s.st.recordList {
		if matches(r, filter) {
			out = append(out, *r)
		}
	}
	return out
}

// matchingWindow counts the records that match filter and returns copies
// of at most size of them from offset on, in insertion order.
func (s *Sandbox) matchingWindow(filter ResetRequestFilter, offset, size int) (int, []Record) {
	s.mu.Lock()
	defer s.mu.Unlock()

	total := 0
	var out []Record
	for _, r := range s.st.recordList {
		if !matches(r, filter) {
			continue
		}
		if total >= offset && len(out) < size {
			out = append(out, *r)
		}
		total++
	}
	return total, out
}

func matches(r *Record, filter ResetRequestFilter) bool {
	if filter.Status != nil && r.Status != *filter.Status {
		return false
	}
	return filter.OrganizationID == nil || r.OrganizationID == *filter.OrganizationID
}

// sortRecords sorts by organizationId, then by status, in the requested
// directions. The sort is stable, so ties keep insertion order.
func sortRecords(records []Record, order ResetRequestSort) {
	slices.SortStableFunc(records, func(a, b Record) int {
		if c := compareIn(order.OrganizationID, a.OrganizationID, b.OrganizationID); c != 0 {
			return c
		}
		return compareIn(order.Status, a.Status, b.Status)
	})
}

// compareIn compares a and b in direction dir; a nil dir sorts nothing.
func compareIn(dir *SortDirection, a, b string) int {
	switch {
	case dir == nil:
		return 0
	case *dir == Desc:
		return cmp.Compare(b, a)
	default:
		return cmp.Compare(a, b)
	}
}

// ApproveResetIdentification approves a pending reset request, which sends
// the user's identification back to pending.
func (s *Sandbox) ApproveResetIdentification(_ context.Context,
	request ApproveResetIdentificationRequestObject,
) (ApproveResetIdentificationResponseObject, error) {
	r, apiErr := s.decide(request.UserID, request.ID, StatusApproved)
	if apiErr != nil {
		return ApproveResetIdentificationdefaultJSONResponse(apiErr.response()), nil
	}
	return ApproveResetIdentification200JSONResponse(recordEnvelope(r)), nil
}

// DeclineResetIdentification declines a pending reset request.
func (s *Sandbox) DeclineResetIdentification(_ context.Context,
	request DeclineResetIdentificationRequestObject,
) (DeclineResetIdentificationResponseObject, error) {
	r, apiErr := s.decide(request.UserID, request.ID, StatusDeclined)
	if apiErr != nil {
		return DeclineResetIdentificationdefaultJSONResponse(apiErr.response()), nil
	}
	return DeclineResetIdentification200JSONResponse(recordEnvelope(r)), nil
}

// decide moves a pending reset request of userID to status. It returns 404
// when the request is unknown or another user initiated it, and 409 when
// the request is no longer pending.
func (s *Sandbox) decide(userID, id, status string) (Record, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()

	r, ok := s.st.records[id]
	if !ok || r.InitiatorUserID != userID {
		return Record{}, newError(http.StatusNotFound, CodeNotFound,
			"id", "no reset request with this id for this user").
			withParameter("userId", userID).withParameter("id", id)
	}
	if r.Status != StatusPending {
		return Record{}, newError(http.StatusConflict, CodeAlreadyProcessed,
			"id", "the reset request is "+r.Status+", not "+StatusPending).
			withParameter("id", id).withParameter("status", r.Status)
	}
	r.Status = status
	if status == StatusApproved {
		s.st.approvals[id]++
		if u, ok := s.st.users[userID]; ok {
			u.resetIdentification(nil)
		}
	}
	return *r, nil
}

// RequestResetIdentification creates a pending reset request for the
// caller's own user. It returns 409 while the user has a pending one.
func (s *Sandbox) RequestResetIdentification(ctx context.Context,
	_ RequestResetIdentificationRequestObject,
) (RequestResetIdentificationResponseObject, error) {
	c, ok := callerFrom(ctx)
	if !ok {
		return nil, errNoCaller
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	for _, id := range s.st.recordOrder {
		r := s.st.records[id]
		if r.InitiatorUserID == c.userID && r.Status == StatusPending {
			apiErr := newError(http.StatusConflict, CodeAlreadyPending,
				"", "the user has a pending reset request already").withParameter("id", r.ID)
			return RequestResetIdentificationdefaultJSONResponse(apiErr.response()), nil
		}
	}
	r, err := s.st.addRecord(c.userID, Record{OrganizationID: c.orgID})
	if err != nil {
		return nil, err
	}
	return RequestResetIdentification200JSONResponse(recordEnvelope(r)), nil
}

// RebootIdentificationWithRemarks resets a user's identification and
// stores the profile fields the user must fill in again.
func (s *Sandbox) RebootIdentificationWithRemarks(_ context.Context,
	request RebootIdentificationWithRemarksRequestObject,
) (RebootIdentificationWithRemarksResponseObject, error) {
	if apiErr := validateFields(request.Body.Fields); apiErr != nil {
		return RebootIdentificationWithRemarksdefaultJSONResponse(apiErr.response()), nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	u, ok := s.st.users[request.UserID]
	if !ok {
		apiErr := newError(http.StatusNotFound, CodeNotFound, "userId", "user not found").
			withParameter("userId", request.UserID)
		return RebootIdentificationWithRemarksdefaultJSONResponse(apiErr.response()), nil
	}
	u.resetIdentification(request.Body.Fields)
	return RebootIdentificationWithRemarks200JSONResponse(statusOK()), nil
}

func validateFields(fields []string) *apiError {
	if len(fields) == 0 {
		return newError(http.StatusBadRequest, CodeInvalidRequest,
			"fields", "fields must name at least one profile field")
	}
	for i, f := range fields {
		if f == "" {
			return newError(http.StatusBadRequest, CodeInvalidRequest,
				fmt.Sprintf("fields[%d]", i), "a profile field name must not be empty")
		}
	}
	return nil
}

func recordEnvelope(r Record) ResetRequestEnvelope {
	model := toModel(r)
	ok := statusOK()
	return ResetRequestEnvelope{Request: &model, Status: ok.Status, Message: ok.Message}
}

func toModel(r Record) ResetRequest {
	return ResetRequest{
		ID:              &r.ID,
		Description:     &r.Description,
		OrganizationID:  &r.OrganizationID,
		Status:          &r.Status,
		InitiatorUserID: &r.InitiatorUserID,
		InitiatorRole:   &r.InitiatorRole,
	}
}
