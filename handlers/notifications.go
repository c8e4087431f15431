package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// Outbox lists queued notifications to the app.
type Outbox interface {
	RecentNotifications(ctx context.Context, limit int) ([]billing.Notification, error)
}

// Notifications lists the newest notifications to the app and their delivery state.
func (h *Handlers) Notifications(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		p := views.NotificationsPage{Page: h.basePage(c, "App notifications"), Enabled: h.Outbox != nil}
		p.Nav = "notifications"
		if h.Outbox != nil {
			ns, err := h.Outbox.RecentNotifications(c.Request.Context(), 100)
			if err != nil {
				return err
			}
			emails := map[int64]string{} // one lookup per customer, however many events they have
			for _, n := range ns {
				if _, ok := emails[n.UserID]; !ok {
					emails[n.UserID] = h.email(c, n.UserID)
				}
				row := views.NotificationRow{ID: n.ID, Type: n.Type, Customer: n.UserID, Email: emails[n.UserID],
					Created:  n.CreatedAt.Format("2 Jan 2006 15:04:05 UTC"),
					Attempts: n.Attempts, LastError: n.LastError, State: "Waiting"}
				switch {
				case !n.DeliveredAt.IsZero():
					row.State = "Delivered " + n.DeliveredAt.Format("15:04:05 UTC")
				case n.Attempts > 0:
					row.State = "Retrying at " + n.NextAttemptAt.Format("15:04:05 UTC")
				}
				p.Rows = append(p.Rows, row)
			}
		}
		h.render(c, http.StatusOK, views.Notifications(p))
		return nil
	})(c)
}

// email names a user for managers' lists; the id stands in if the lookup fails.
func (h *Handlers) email(c *gin.Context, userID int64) string {
	if u, err := h.Accounts.User(c.Request.Context(), userID); err == nil {
		return u.Email
	}
	return fmt.Sprintf("user %d", userID)
}
