using Microsoft.Extensions.DependencyInjection;
using Netlab.Data;
using Netlab.Web.Accounts;
using Netlab.Web.Runs;

namespace Netlab.Web.Tests;

/// <summary>What the run pages ask the database beyond the API (the same answers on SQLite and PostgreSQL).</summary>
public class RunSearchTests
{
    [Fact]
    public async Task Searching_by_target_matches_part_of_the_host_whatever_its_case()
    {
        await using var factory = new NetlabFactory();
        var client = factory.CreateClient();
        var server = await client.StartServerAsync();
        var byName = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 1 }, host: "localhost"))["id"]!;
        var byAddress = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 1 }))["id"]!;
        await client.WaitForRunAsync(byName);
        await client.WaitForRunAsync(byAddress);

        var store = factory.Services.GetRequiredService<RunStore>();
        var admin = new Viewer("admin", "Admin", TestAccounts.AdminEmail, Roles.Admin);
        async Task<string[]> Search(string target) =>
            [.. (await store.PageAsync(new RunQuery(Target: target), admin, CancellationToken.None)).Runs.Select(r => r.Id.ToString()).Order()];

        Assert.Equal(new[] { byName }, await Search("LocalHost"));
        Assert.Equal(new[] { byName }, await Search(" CALHO "));
        Assert.Contains(byAddress, await Search("127.0.0"));
        Assert.Empty(await Search("example"));

        // Previous/next compare creation times (PostgreSQL takes only UTC ones).
        var first = await store.LoadAsync(Guid.Parse(byName), CancellationToken.None);
        var second = await store.LoadAsync(Guid.Parse(byAddress), CancellationToken.None);
        Assert.Equal((null, second.Id), await store.NeighboursAsync(first, admin, CancellationToken.None));
        Assert.Equal((first.Id, null), await store.NeighboursAsync(second, admin, CancellationToken.None));
    }
}
