using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Netlab.Data;
using Netlab.Web.Hosting;

namespace Netlab.Web.Accounts;

/// <summary>
/// After the database is migrated: makes sure the three roles exist and, when configured
/// (Netlab:Bootstrap), creates the first administrator and their API key, so automation needs no
/// browser. Without that configuration, the first browser visit creates the administrator (/setup).
/// </summary>
public sealed class AccountBootstrap(IServiceScopeFactory scopes, IOptions<NetlabOptions> settings, ILogger<AccountBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var roles = services.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole(role));

        var bootstrap = settings.Value.Bootstrap;
        if (string.IsNullOrWhiteSpace(bootstrap.AdminEmail))
            return;
        var users = services.GetRequiredService<UserManager<NetlabUser>>();
        var admin = await users.FindByEmailAsync(bootstrap.AdminEmail);
        if (admin is null)
        {
            var db = services.GetRequiredService<NetlabDbContext>();
            if (await db.Users.AnyAsync(cancellationToken))
            {
                logger.LogWarning("Netlab:Bootstrap:AdminEmail is set but other accounts exist already; no administrator was created.");
                return;
            }
            var created = await services.GetRequiredService<UserAccounts>().CreateAsync(
                new CreateUserRequest(bootstrap.AdminEmail, bootstrap.AdminName, Roles.Admin, bootstrap.AdminPassword), actor: null);
            admin = await users.FindByIdAsync(created.Id);
            logger.LogInformation("Created the first administrator {Email} from Netlab:Bootstrap", bootstrap.AdminEmail);
        }
        if (!string.IsNullOrWhiteSpace(bootstrap.AdminApiKey) && admin is not null)
        {
            var keys = services.GetRequiredService<ApiKeys>();
            if (await keys.FindUserAsync(bootstrap.AdminApiKey, cancellationToken) is null)
            {
                if (!bootstrap.AdminApiKey.StartsWith(ApiKeys.Prefix, StringComparison.Ordinal) || bootstrap.AdminApiKey.Length < 24)
                    throw new InvalidOperationException($"Netlab:Bootstrap:AdminApiKey must start with '{ApiKeys.Prefix}' and be at least 24 characters long.");
                await keys.CreateAsync(admin.Id, "bootstrap", cancellationToken, bootstrap.AdminApiKey);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
