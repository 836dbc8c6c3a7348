using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Netlab.Data;

namespace Netlab.Web.Accounts;

/// <summary>Adds the display name to the sign-in principal, so pages and owners show names, not e-mail addresses.</summary>
public sealed class NetlabClaimsFactory(UserManager<NetlabUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<NetlabUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(NetlabUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(Viewer.NameClaim, user.DisplayName));
        return identity;
    }
}
