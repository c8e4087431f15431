package web

import (
	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/handlers"
)

// routes lists every route of the portal and the middleware it runs behind.
func routes(r *gin.Engine, h *handlers.Handlers, cookies *sessionCookies, d Deps) {
	r.GET("/healthz", h.Healthz)
	r.GET("/", func(c *gin.Context) { c.Redirect(303, "/subscription") })

	// Provider-facing: the sandbox's hosted pages and its webhook. They carry
	// no portal session; the webhook is authenticated by its signature.
	if h.Sandbox != nil {
		r.GET("/sandbox/checkout/:id", h.SandboxCheckoutPage)
		r.POST("/sandbox/checkout/:id/pay", h.SandboxCheckoutComplete(true))
		r.POST("/sandbox/checkout/:id/decline", h.SandboxCheckoutComplete(false))
		r.POST("/webhooks/sandbox", h.SandboxWebhook)
	}

	pages := r.Group("/", loadUser(d.Accounts, cookies, d.Log))
	pages.GET("/login", h.LoginPage)
	pages.POST("/login", h.Login)
	pages.POST("/logout", h.Logout)

	customer := pages.Group("/", requireUser, requireCustomer(h))
	customer.GET("/subscription", h.Subscription)
	customer.GET("/subscription/change", h.SubscriptionChangePreview)
	customer.POST("/subscription/change", h.SubscriptionChange)
	customer.GET("/checkout/return", h.CheckoutReturn)
	customer.GET("/billing/history", h.BillingHistory)
}
