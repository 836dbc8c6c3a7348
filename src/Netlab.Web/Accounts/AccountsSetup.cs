using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Netlab.Data;

namespace Netlab.Web.Accounts;

/// <summary>
/// Who may do what. Browsers sign in with the Identity cookie; scripts send an API key. The
/// default scheme picks the key when the request carries one, so the two never mix on a request.
/// Every endpoint needs a signed-in user unless it says [AllowAnonymous] (/healthz, sign-in, set-up,
/// static files).
/// </summary>
public static class AccountsSetup
{
    public const string Staff = "Staff";
    private const string Either = "CookieOrKey";

    public static IServiceCollection AddNetlabAccounts(this IServiceCollection services)
    {
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = Either;
                o.DefaultSignInScheme = IdentityConstants.ApplicationScheme;
            })
            .AddPolicyScheme(Either, "Cookie or API key", o => o.ForwardDefaultSelector = http =>
                ApiKeyHandler.HasKey(http.Request) ? ApiKeyHandler.SchemeName : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, null)
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.LogoutPath = "/account/logout";
            o.AccessDeniedPath = "/account/access-denied";
            o.Cookie.Name = "netlab.auth";
            o.Cookie.HttpOnly = true;
            // Lax: a link from elsewhere still opens the portal signed in, but no cross-site POST carries the cookie.
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromDays(7);
            // The API and the hub answer 401/403 with ProblemDetails; only pages go to the sign-in page.
            o.Events.OnRedirectToLogin = context => ApiOr(context, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = context => ApiOr(context, StatusCodes.Status403Forbidden);
        });
        services.AddIdentityCore<NetlabUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                // NIST SP 800-63B: length matters, composition rules do not.
                o.Password.RequiredLength = 8;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.MaxFailedAccessAttempts = 10;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<NetlabDbContext>()
            .AddSignInManager()
            .AddClaimsPrincipalFactory<NetlabClaimsFactory>()
            .AddDefaultTokenProviders();
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Staff, p => p.RequireRole(Roles.Instructor, Roles.Admin));
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingIdentityStateProvider>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<CircuitViewer>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<UserDirectory>();
        services.AddScoped<UserAccounts>();
        services.AddHostedService<AccountBootstrap>();
        return services;

        static Task ApiOr(RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
        {
            if (!AccountProblems.IsApi(context.Request))
            {
                context.Response.Redirect(context.RedirectUri);
                return Task.CompletedTask;
            }
            return AccountProblems.WriteAsync(context.HttpContext, context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>(), status, null);
        }
    }

    /// <summary>Authentication, the first-run page, the same-origin rule for cookies, authorization.</summary>
    public static WebApplication UseNetlabAccounts(this WebApplication app)
    {
        app.UseAuthentication();
        app.Use(FirstRunAsync);
        app.Use(SameOriginAsync);
        app.UseAuthorization();
        return app;
    }

    /// <summary>With no account yet, every page leads to /setup (as Grafana and Uptime Kuma do); the API answers 401 saying so.</summary>
    private static async Task FirstRunAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        if (HttpMethods.IsGet(context.Request.Method) && !AccountProblems.IsApi(context.Request) && !path.StartsWithSegments("/setup")
            && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal)
            && !await context.RequestServices.GetRequiredService<UserDirectory>().HasUsersAsync())
        {
            context.Response.Redirect("/setup");
            return;
        }
        await next(context);
    }

    /// <summary>
    /// Cookies ride along with any request a browser makes, including one a page on another site
    /// makes (CSRF) or a WebSocket it opens. So the API and the hub accept a cookie-authenticated
    /// request only from this origin: a request that changes state must say where it comes from
    /// (Origin, or Sec-Fetch-Site: same-origin) and any Origin must be ours. API keys are not sent
    /// by browsers on their own, so key requests need no such check.
    /// </summary>
    private static async Task SameOriginAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (AccountProblems.IsApi(request) && !ApiKeyHandler.HasKey(request) && context.User.Identity?.IsAuthenticated == true)
        {
            var origin = request.Headers.Origin.ToString();
            var site = request.Headers["Sec-Fetch-Site"].ToString();
            var ours = $"{request.Scheme}://{request.Host}";
            var safe = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method);
            var crossOrigin = origin.Length > 0 && !string.Equals(origin, ours, StringComparison.OrdinalIgnoreCase);
            var unproven = !safe && origin.Length == 0 && site != "same-origin";
            if (crossOrigin || unproven || site is "cross-site" or "same-site")
            {
                await AccountProblems.WriteAsync(context, context.RequestServices.GetRequiredService<IProblemDetailsService>(), StatusCodes.Status403Forbidden,
                    "A signed-in browser may call the API only from the portal's own pages. Scripts use an API key (X-Api-Key).");
                return;
            }
        }
        await next(context);
    }
}

/// <summary>The browser's sign-out (a form POST with an antiforgery token, so another site cannot sign a user out).</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/logout", async (SignInManager<NetlabUser> signIn) =>
            {
                await signIn.SignOutAsync();
                return TypedResults.LocalRedirect("/account/login");
            })
            .WithMetadata(new Microsoft.AspNetCore.Antiforgery.RequireAntiforgeryTokenAttribute())
            .ExcludeFromDescription();
        return app;
    }
}
