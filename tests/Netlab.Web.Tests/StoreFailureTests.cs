using System.Net;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Netlab.Data;

namespace Netlab.Web.Tests;

/// <summary>When the store refuses writes (a full disk), runs fail saying so and /healthz tells; it is not a stack trace per batch.</summary>
public sealed class StoreFailureTests : IAsyncLifetime
{
    private readonly FullDisk disk = new();
    private readonly NetlabFactory portal;

    public StoreFailureTests() => portal = new NetlabFactory
    {
        Configure = builder => builder.ConfigureTestServices(services =>
            services.ConfigureDbContext<NetlabDbContext>(options => options.AddInterceptors(disk))),
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await portal.DisposeAsync();

    [Fact]
    public async Task A_run_whose_events_cannot_be_written_fails_with_the_reason_and_healthz_is_unhealthy_until_writes_succeed()
    {
        var client = portal.CreateClient();
        var server = await client.StartServerAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);

        disk.Full = true;
        var id = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 10 }))["id"]!;
        var run = await client.WaitForRunAsync(id);
        Assert.Equal("Failed", (string)run["status"]!);
        Assert.Contains("could not be stored", (string)run["error"]!);
        Assert.Contains("database or disk is full", (string)run["error"]!);
        var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);

        disk.Full = false;
        var next = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 2 }))["id"]!;
        Assert.Equal("Succeeded", (string)(await client.WaitForRunAsync(next))["status"]!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }

    /// <summary>Refuses event rows (runs' and servers') as SQLite does on a full disk (SQLITE_FULL); the small record updates still write.</summary>
    private sealed class FullDisk : SaveChangesInterceptor
    {
        public volatile bool Full;

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            var tracker = eventData.Context!.ChangeTracker;
            if (Full && (tracker.Entries<RunEventEntity>().Any() || tracker.Entries<ServerEventEntity>().Any()))
                throw new DbUpdateException("An error occurred while saving the entity changes.", new Microsoft.Data.Sqlite.SqliteException("SQLite Error 13: 'database or disk is full'.", 13));
            return base.SavingChangesAsync(eventData, result, cancellationToken);
        }
    }
}
