using System.Net.Http.Json;
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

    [Fact]
    public async Task A_run_whose_final_record_cannot_be_written_shows_its_end_at_once_and_stores_it_when_the_disk_has_room_again()
    {
        var client = portal.CreateClient();
        var server = await client.StartServerAsync();
        disk.EndsRefused = true;
        var id = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 3, intervalMs = 10 }))["id"]!;
        // The API shows the end although the store still says Running.
        var run = await client.WaitForRunAsync(id);
        Assert.Equal("Succeeded", (string)run["status"]!);
        Assert.Equal(RunStatus.Running, await StoredStatusAsync(id));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/healthz")).StatusCode);

        disk.EndsRefused = false;
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await StoredStatusAsync(id) == RunStatus.Running)
            await Task.Delay(100, patience.Token);
        Assert.Equal(RunStatus.Succeeded, await StoredStatusAsync(id));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        // The record written late is the whole end: its event count is the events stored.
        var events = await client.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>($"/api/runs/{id}/events");
        Assert.Equal(events!.Count, (int)(await client.GetJsonAsync($"/api/runs/{id}"))["eventCount"]!);
        Assert.True(events.Count > 3);
    }

    private async Task<RunStatus> StoredStatusAsync(string id)
    {
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<NetlabDbContext>>().CreateDbContextAsync();
        return (await db.Runs.AsNoTracking().SingleAsync(r => r.Id == Guid.Parse(id))).Status;
    }

    /// <summary>Refuses event rows (runs' and servers') as SQLite does on a full disk (SQLITE_FULL); the small record updates still write.</summary>
    private sealed class FullDisk : SaveChangesInterceptor
    {
        public volatile bool Full;

        /// <summary>Refuses a run's final record (its status past Running), the one write after its events.</summary>
        public volatile bool EndsRefused;

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            var tracker = eventData.Context!.ChangeTracker;
            if (Full && (tracker.Entries<RunEventEntity>().Any() || tracker.Entries<ServerEventEntity>().Any()))
                throw new DbUpdateException("An error occurred while saving the entity changes.", new Microsoft.Data.Sqlite.SqliteException("SQLite Error 13: 'database or disk is full'.", 13));
            if (EndsRefused && tracker.Entries<RunEntity>().Any(e => e.State == EntityState.Modified && e.Entity.Status != RunStatus.Running))
                throw new DbUpdateException("An error occurred while saving the entity changes.", new Microsoft.Data.Sqlite.SqliteException("SQLite Error 13: 'database or disk is full'.", 13));
            return base.SavingChangesAsync(eventData, result, cancellationToken);
        }
    }
}
