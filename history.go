package herken

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"
)

// Limits on history listing, feedback and retention (documented in
// interaction.proto and interaction_service.proto).
const (
	MinFeedbackScore   = 1
	MaxFeedbackScore   = 5
	MaxFeedbackRunes   = 4000 // comment and answer
	MaxAnsweredByRunes = 128
	DefaultPurgeLimit  = 1000 // interactions one PurgeHistory call deletes when limit is 0
)

// ListInteractions validates q and returns one page of interactions and the
// next page token ("" on the last page). With a CustomerID it lists that
// customer's history, newest first; without one it lists the unanswered
// feedback of all customers (q.UnansweredFeedback is then required), oldest
// submission first. Every invalid field is reported at once.
func (s *Service) ListInteractions(ctx context.Context, q InteractionQuery) ([]Interaction, string, error) {
	var errs []error
	var err error
	if q.PageSize, err = pageSize(q.PageSize); err != nil {
		errs = append(errs, err)
	}
	if q.CustomerID == "" && !q.UnansweredFeedback {
		errs = append(errs, invalid(ReasonFieldInvalid, "parent", "listing across all customers needs unanswered_feedback_only"))
	}
	// The first unknown channel is reported (not every one: the list is
	// unbounded); repeats of a valid one are dropped.
	var channels []Channel
	for i, c := range q.Channels {
		if !c.Valid() {
			errs = append(errs, enumInvalid("channels["+strconv.Itoa(i)+"]"))
			break
		}
		if !slices.Contains(channels, c) {
			channels = append(channels, c)
		}
	}
	q.Channels = channels
	if !q.Start.IsZero() && !q.End.IsZero() && !q.Start.Before(q.End) {
		errs = append(errs, invalid(ReasonFieldInvalid, "end_time", "must be after start_time"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	q.Start, q.End = q.Start.UTC(), q.End.UTC()
	return s.store.ListInteractions(ctx, q)
}

// SubmitFeedback attaches the customer's feedback (score 1..5, optional
// comment) to one interaction. Feedback is given once: a second submission
// is ErrFeedbackSubmitted. A system event (ChannelSystem) was no contact
// and takes no feedback: INVALID_ARGUMENT on "name".
func (s *Service) SubmitFeedback(ctx context.Context, customerID, interactionID string, score int, comment string, w Write) (Interaction, error) {
	var errs []error
	if score < MinFeedbackScore || score > MaxFeedbackScore {
		e := invalid(ReasonFieldInvalid, "score", "must be between %d and %d", MinFeedbackScore, MaxFeedbackScore)
		e.Metadata = map[string]string{"min": strconv.Itoa(MinFeedbackScore), "max": strconv.Itoa(MaxFeedbackScore)}
		errs = append(errs, e)
	}
	comment, err := cleanText(comment, "comment", MaxFeedbackRunes)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return Interaction{}, err
	}
	now := s.now().UTC()
	return s.store.UpdateInteraction(ctx, customerID, interactionID, func(in *Interaction) error {
		if !in.Channel.IsContact() {
			return invalid(ReasonFieldInvalid, "name", "a system event is not a contact and takes no feedback")
		}
		if in.Feedback != nil {
			return ErrFeedbackSubmitted
		}
		in.Feedback = &Feedback{Score: score, Comment: comment, SubmitTime: now}
		return nil
	}, WriteOptions{Actor: w.Actor})
}

// AnswerFeedback records what was done with an interaction's feedback, as
// told to the customer, and who did it. ErrFeedbackMissing when there is no
// feedback, ErrFeedbackAnswered when it was answered before.
func (s *Service) AnswerFeedback(ctx context.Context, customerID, interactionID, answer, answeredBy string, w Write) (Interaction, error) {
	answer, err1 := cleanText(answer, "answer", MaxFeedbackRunes)
	if err1 == nil && answer == "" {
		err1 = invalid(ReasonFieldRequired, "answer", "required: what was done, as told to the customer")
	}
	answeredBy, err2 := cleanLine(answeredBy, "answered_by", MaxAnsweredByRunes)
	if err2 == nil && answeredBy == "" {
		err2 = invalid(ReasonFieldRequired, "answered_by", "required: who answered")
	}
	if err := errors.Join(err1, err2); err != nil {
		return Interaction{}, err
	}
	now := s.now().UTC()
	return s.store.UpdateInteraction(ctx, customerID, interactionID, func(in *Interaction) error {
		switch {
		case in.Feedback == nil:
			return ErrFeedbackMissing
		case in.Feedback.Answered():
			return ErrFeedbackAnswered
		}
		in.Feedback.Answer, in.Feedback.AnsweredBy, in.Feedback.AnswerTime = answer, answeredBy, now
		return nil
	}, WriteOptions{Actor: w.Actor})
}

// PurgeHistory deletes interactions that occurred more than retention ago,
// oldest first, at most limit (DefaultPurgeLimit when 0), and reports how
// many and whether more are waiting: the retention sweeper calls it until
// more is false. Customers keep their last contact time and channel.
//
// retention must be at least the idempotency window (ServiceConfig
// IdempotencyTTL, 24h by default): a RecordInteraction retry must still find
// the interaction its first call recorded.
func (s *Service) PurgeHistory(ctx context.Context, retention time.Duration, limit int) (int, bool, error) {
	if retention < s.ttl {
		e := invalid(ReasonFieldInvalid, "retention", "must be at least the idempotency window %s", s.ttl)
		e.Metadata = map[string]string{"limit": s.ttl.String()}
		return 0, false, e
	}
	switch {
	case limit < 0:
		return 0, false, invalid(ReasonFieldInvalid, "limit", "must not be negative")
	case limit == 0:
		limit = DefaultPurgeLimit
	}
	return s.store.PurgeInteractions(ctx, s.now().UTC().Add(-retention), limit, WriteOptions{Actor: SystemActor})
}
