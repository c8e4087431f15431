package web

import (
	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/handlers"
)

// routes lists every route of the portal and the middleware it runs behind.
func routes(r *gin.Engine, h *handlers.Handlers, cookies *sessionCookies, d Deps, embedCSP, providerCSP string) {
	r.GET("/healthz", h.Healthz)

	// Provider-facing: the provider's webhook, authenticated by its
	// signature, and the hosted pages of a provider served by the portal
	// itself (the sandbox). They carry no portal session.
	r.POST("/webhooks/"+h.Billing.ProviderName(), h.ProviderWebhook)
	if d.ProviderPages != nil {
		r.Any(d.ProviderPages.Prefix+"*path", hostedPagePolicy(providerCSP), gin.WrapH(d.ProviderPages.Handler))
	}

	// The JSON API reads no cookies: every request carries a bearer token.
	r.GET("/api/openapi.json", h.OpenAPI)
	r.POST("/api/v1/test-clock/advance", h.TestClockAdvanceAPI)
	api := r.Group("/api/v1", h.APIAuth)
	api.GET("/plans", h.APIPlans)
	api.GET("/users", h.APIUsers)
	api.GET("/profile/subscriptions/current", h.APICurrentSubscription)
	api.POST("/profile/subscriptions/change", h.Idempotent, h.APIChangeSubscription)
	api.PUT("/users/change-billing-plan", h.Idempotent, h.APIChangeBillingPlan)
	api.POST("/subscriptions/:id/change", h.Idempotent, h.APIChangeSubscriptionPhase)
	api.POST("/portal/sessions", h.RequireServerKey, h.Idempotent, h.APIPortalSession)
	r.NoRoute(loadUser(d.Accounts, cookies, d.Log), h.NotFound)

	r.GET("/embed/theme.css", h.EmbedTheme)
	r.GET("/theme.css", h.ThemeCSS)
	r.GET("/brand/logo", h.BrandLogo)

	pages := r.Group("/", loadUser(d.Accounts, cookies, d.Log), framePolicy(embedCSP))
	pages.GET("/", requireUser, h.Home)
	pages.GET("/login", h.LoginPage)
	pages.POST("/login", h.Login)
	pages.POST("/logout", h.Logout)
	pages.GET("/portal/:token", h.PortalLink)

	// Password reset works signed out; neither a manager acting as a
	// customer nor an embedded session may reach it (403).
	password := pages.Group("/password", ownSessionOnly(h))
	password.GET("/forgot", h.ForgotPasswordPage)
	password.POST("/forgot", h.ForgotPassword)
	password.GET("/reset/:token", h.ResetPasswordPage)
	password.POST("/reset/:token", h.ResetPassword)

	// Credentials stay the user's own: neither a manager acting as a customer
	// nor an embedded session can reach them.
	settings := pages.Group("/settings", requireUser, ownSessionOnly(h))
	settings.GET("/api-tokens", h.APITokensPage)
	settings.POST("/api-tokens", h.CreateAPIToken)
	settings.POST("/api-tokens/:id/revoke", h.RevokeAPIToken)
	settings.GET("/password", h.PasswordPage)
	settings.POST("/password", h.ChangePassword)

	customer := pages.Group("/", requireUser, requireCustomer(h))
	customer.GET("/subscription", h.Subscription)
	customer.GET("/subscription/change", h.SubscriptionChangePreview)
	customer.POST("/subscription/change", h.SubscriptionChange)
	customer.POST("/subscription/scheduled-change/cancel", h.ScheduledChangeCancel)
	customer.GET("/subscription/cancel", h.SubscriptionCancelPage)
	customer.POST("/subscription/cancel", h.SubscriptionCancel)
	customer.POST("/subscription/resume", h.SubscriptionResume)
	customer.POST("/subscription/overdue/pay", h.PayOverdue)
	customer.GET("/checkout/return", h.CheckoutReturn)
	customer.GET("/billing/history", h.BillingHistory)
	customer.GET("/billing/invoices/:file", h.InvoicePDF) // :file is "{id}.pdf"
	customer.GET("/billing/details", h.BillingDetailsPage)
	customer.POST("/billing/details", h.SaveBillingDetails)
	customer.GET("/settings/emails", h.EmailPrefsPage)
	customer.POST("/settings/emails", h.SaveEmailPrefs)
	customer.POST("/billing/payment-method", h.PaymentMethodUpdate)

	// Stopping is done from the customer's session, so it sits outside the
	// managers-only group.
	pages.POST("/manage/impersonation/stop", requireUser, h.StopImpersonation)

	manage := pages.Group("/manage", requireUser, requireManager(h))
	manage.GET("/customers", h.Customers)
	manage.GET("/catalogue", h.ManageCatalogue)
	manage.GET("/customers/:id", h.Customer)
	manage.POST("/customers/:id/impersonate", h.Impersonate)
	manage.GET("/customers/:id/invoices/:file", h.ManageInvoicePDF) // :file is "{id}.pdf"
	manage.GET("/audit", h.AuditLog)
	manage.GET("/notifications", h.Notifications)
	manage.GET("/mail", h.ManageMail)
	manage.GET("/health", h.BooksHealth)
	if h.TestClock != nil {
		manage.GET("/test-clock", h.TestClockPage)
		manage.POST("/test-clock", h.TestClockAdvance)
	}
}
