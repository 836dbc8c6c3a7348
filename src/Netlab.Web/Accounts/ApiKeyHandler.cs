using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Netlab.Data;

namespace Netlab.Web.Accounts;

/// <summary>
/// Authenticates a request by an API key in <c>X-Api-Key</c> or <c>Authorization: Bearer</c>, or,
/// for the hub only, in the <c>access_token</c> query parameter (browsers' WebSocket API cannot
/// set headers; the SignalR clients put the bearer token there). Keys are checked against the
/// store on every request, so a revoked key stops working at once.
/// </summary>
public sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeys keys, UserManager<NetlabUser> users, IUserClaimsPrincipalFactory<NetlabUser> principals, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    public static bool HasKey(HttpRequest request) => KeyOf(request) is not null;

    private static string? KeyOf(HttpRequest request)
    {
        if (request.Headers["X-Api-Key"] is [{ Length: > 0 } header])
            return header.Trim();
        if (request.Headers.Authorization is [{ } authorization] && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return authorization["Bearer ".Length..].Trim();
        if (request.Path.StartsWithSegments("/hubs") && request.Query["access_token"] is [{ Length: > 0 } token])
            return token;
        return null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (KeyOf(Request) is not { } key)
            return AuthenticateResult.NoResult();
        var userId = await keys.FindUserAsync(key, Context.RequestAborted);
        var user = userId is null ? null : await users.FindByIdAsync(userId);
        if (user is null)
            return AuthenticateResult.Fail("The API key is not valid (unknown or revoked).");
        var principal = await principals.CreateAsync(user);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    // The result of this request's authentication is cached by the base class: the failure says why.
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties) =>
        await AccountProblems.WriteAsync(Context, problems, StatusCodes.Status401Unauthorized, (await HandleAuthenticateOnceSafeAsync()).Failure?.Message);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AccountProblems.WriteAsync(Context, problems, StatusCodes.Status403Forbidden, null);
}

/// <summary>The 401 and 403 answers of the API and the hub, as ProblemDetails that say what to do.</summary>
public static class AccountProblems
{
    public static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/hubs");

    public static async Task WriteAsync(HttpContext context, IProblemDetailsService problems, int status, string? detail)
    {
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"netlab\", ApiKey header=\"X-Api-Key\"";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = status,
                Title = status == StatusCodes.Status401Unauthorized ? "Sign-in required" : "Not allowed",
                Detail = detail ?? (status == StatusCodes.Status401Unauthorized
                    ? "Send an API key in X-Api-Key (or Authorization: Bearer), or sign in in the browser. Create keys on your profile page or with POST /api/me/api-keys."
                    : "Your role does not allow this."),
            },
        });
    }
}
