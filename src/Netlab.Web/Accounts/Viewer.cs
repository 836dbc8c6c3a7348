using System.Security.Claims;
using Netlab.Data;

namespace Netlab.Web.Accounts;

/// <summary>
/// Who is asking, as every store and manager checks it: students see and control only what they
/// own; instructors and admins see everyone's. Built from the signed-in principal (cookie or key).
/// </summary>
public sealed record Viewer(string Id, string Name, string Email, string Role)
{
    public const string NameClaim = "netlab:name";

    public bool IsStaff => Role is Roles.Instructor or Roles.Admin;

    public bool IsAdmin => Role == Roles.Admin;

    /// <summary>Whether this viewer may see (and so follow, cancel or stop) something owned by <paramref name="ownerId"/>.</summary>
    public bool CanSee(string? ownerId) => IsStaff || (ownerId is not null && ownerId == Id);

    /// <summary>The viewer of a signed-in principal; null for an anonymous one.</summary>
    public static Viewer? From(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true || user.FindFirstValue(ClaimTypes.NameIdentifier) is not { } id)
            return null;
        var email = user.FindFirstValue(ClaimTypes.Name) ?? "";
        var role = Roles.All.LastOrDefault(user.IsInRole) ?? Roles.Student;
        return new Viewer(id, user.FindFirstValue(NameClaim) is { Length: > 0 } name ? name : email, email, role);
    }

    /// <summary>The viewer of a request that passed authorization (every API endpoint but /healthz needs one).</summary>
    public static Viewer Of(ClaimsPrincipal user) => From(user) ?? throw new InvalidOperationException("The endpoint ran without a signed-in user.");
}

/// <summary>The viewer of a Blazor circuit (pages and panels), from its authentication state.</summary>
public sealed class CircuitViewer(Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider authentication)
{
    public async Task<Viewer> GetAsync() =>
        Viewer.From((await authentication.GetAuthenticationStateAsync()).User) ?? throw new InvalidOperationException("A page ran without a signed-in user.");
}
