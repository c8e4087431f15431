package billing

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// Notification is an event for the app, queued in the same transaction as
// the change it reports and delivered later by the notify package.
type Notification struct {
	ID            string
	Type          string
	UserID        int64
	Payload       []byte
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	DeliveredAt   time.Time
}

// SubscriptionUpdated is the event type sent whenever a customer's plan,
// status or scheduled change changes.
const SubscriptionUpdated = "subscription.updated"

// notifyingActions are the audited actions that change plan, status or the
// scheduled phase.
var notifyingActions = map[string]bool{
	"plan.changed": true, "change.scheduled": true, "change.unscheduled": true, "change.applied": true,
	"subscription.cancel_requested": true, "subscription.resumed": true, "subscription.renewed": true,
	"renewal.failed": true, "overdue.paid": true, "overdue.recovered": true, "subscription.ended": true,
	"subscription.canceled_unpaid": true,
}

// record writes an audit entry and, when the action changes what the app
// cares about, queues a subscription.updated notification in the same
// transaction: if the change commits, the notification will be sent.
func (s *Service) record(ctx context.Context, tx Tx, e AuditEntry) error {
	if err := tx.AddAudit(ctx, e); err != nil {
		return err
	}
	if err := s.mailFor(ctx, tx, e); err != nil {
		return err
	}
	if !s.notify || !notifyingActions[e.Action] {
		return nil
	}
	id := newID("evt_")
	payload, err := s.snapshot(ctx, tx, id, e.Subject.ID, e.Action)
	if err != nil {
		return err
	}
	return tx.EnqueueNotification(ctx, Notification{ID: id, Type: SubscriptionUpdated, UserID: e.Subject.ID,
		Payload: payload, CreatedAt: s.clock.Now()})
}

type eventBody struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Created int64     `json:"created"`
	Data    eventData `json:"data"`
}

type eventData struct {
	UserID             string          `json:"user_id"`
	Email              string          `json:"email"`
	Action             string          `json:"action"`
	PlanID             string          `json:"plan_id"`
	PlanName           string          `json:"plan_name"`
	Interval           string          `json:"interval"`
	Status             Status          `json:"status"`
	CurrentPeriodStart time.Time       `json:"current_period_start"`
	CurrentPeriodEnd   *time.Time      `json:"current_period_end"`
	CancelAtPeriodEnd  bool            `json:"cancel_at_period_end"`
	ScheduledChange    *scheduledEvent `json:"scheduled_change"`
}

type scheduledEvent struct {
	PlanID      string    `json:"plan_id"`
	EffectiveAt time.Time `json:"effective_at"`
}

// snapshot describes the subscription as it is after the change.
func (s *Service) snapshot(ctx context.Context, tx Tx, eventID string, userID int64, action string) ([]byte, error) {
	sub, err := tx.Subscription(ctx, userID)
	if err != nil {
		return nil, err
	}
	cust, err := tx.Customer(ctx, userID)
	if err != nil {
		return nil, err
	}
	d := eventData{UserID: strconv.FormatInt(userID, 10), Email: cust.Email, Action: action, PlanID: sub.Plan.ID,
		PlanName: sub.Plan.Name(), Interval: sub.Plan.Interval.Key(), Status: sub.Status, CurrentPeriodStart: sub.PeriodStart,
		CancelAtPeriodEnd: sub.CancelAtPeriodEnd}
	if sub.Renews() {
		end := sub.PeriodEnd
		d.CurrentPeriodEnd = &end
	}
	sc, err := tx.ScheduledChange(ctx, sub.ID)
	switch {
	case err == nil:
		d.ScheduledChange = &scheduledEvent{PlanID: sc.Plan.ID, EffectiveAt: sc.EffectiveAt}
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	return json.Marshal(eventBody{ID: eventID, Type: SubscriptionUpdated, Created: s.clock.Now().Unix(), Data: d})
}
