using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Netlab.Data;
using Netlab.Web.Hosting;
using Netlab.Web.ScaleOut;

namespace Netlab.Web.Tests.ScaleOut;

/// <summary>
/// The lease on its own, time moved by hand (FakeTimeProvider), on a database of the PostgreSQL
/// cluster: an instance that stops renewing is taken for dead only once its lease has expired,
/// and then only its running runs and servers become Interrupted, never a live instance's.
/// </summary>
public sealed class InstanceLeaseTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private PooledDbContextFactory<NetlabDbContext> contexts = default!;

    public async Task InitializeAsync()
    {
        var options = new DbContextOptionsBuilder<NetlabDbContext>()
            .UseNpgsql(PostgresCluster.Shared.ConnectionString($"lease_{Guid.NewGuid():N}"), npgsql => npgsql.MigrationsAssembly("Netlab.Migrations.Postgres"))
            .Options;
        contexts = new PooledDbContextFactory<NetlabDbContext>(options);
        await using var db = await contexts.CreateDbContextAsync();
        await db.Database.MigrateAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() { }
    }

    private async Task<(PortalInstance Instance, InstanceLease Lease)> RegisterAsync(string name)
    {
        var instance = new PortalInstance(Options.Create(new NetlabOptions { Redis = "127.0.0.1:1", Instance = { Name = name, LeaseSeconds = 15 } }),
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Netlab:Database:Provider"] = "Postgres" }).Build());
        var lease = new InstanceLease(instance, contexts, new NoEventRelay(), time, new Lifetime(), null!, NullLogger<InstanceLease>.Instance);
        // Registration only: the renewals are driven by the test (RenewAsync), not by the timer.
        await using var db = await contexts.CreateDbContextAsync();
        var now = time.GetUtcNow().UtcDateTime;
        db.Instances.Add(new InstanceEntity { Id = instance.Id, Address = name, StartedAt = now, RenewedAt = now });
        await db.SaveChangesAsync();
        return (instance, lease);
    }

    private async Task<Guid> RunningRunOfAsync(PortalInstance instance)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var run = new RunEntity
        {
            Id = Guid.NewGuid(), Lab = "udp-ping", Probe = "udp-ping", TargetHost = "127.0.0.1", TargetAddress = "127.0.0.1", TargetPort = 9,
            OptionsJson = "{}", Status = RunStatus.Running, CreatedAt = time.GetUtcNow().UtcDateTime, InstanceId = instance.Id,
        };
        db.Runs.Add(run);
        db.RunEvents.Add(new RunEventEntity { RunId = run.Id, Seq = 1, Kind = "logLine", Timestamp = run.CreatedAt, Json = "{}" });
        db.Servers.Add(new ServerEntity { Id = run.Id, Lab = "udp-ping", OptionsJson = "{}", Address = "127.0.0.1", Port = 9, State = ServerStatus.Running, StartedAt = run.CreatedAt, InstanceId = instance.Id });
        await db.SaveChangesAsync();
        return run.Id;
    }

    [Fact]
    public async Task An_instance_that_stops_renewing_loses_its_runs_and_servers_only_after_its_lease_expires()
    {
        var (a, leaseA) = await RegisterAsync("a");
        var (b, _) = await RegisterAsync("b");
        var ofA = await RunningRunOfAsync(a);
        var ofB = await RunningRunOfAsync(b);

        // B stops renewing (killed). 14 s later its lease (15 s) still holds: nothing is marked.
        time.Advance(TimeSpan.FromSeconds(14));
        await leaseA.RenewAsync(CancellationToken.None);
        await using (var db = await contexts.CreateDbContextAsync())
        {
            Assert.Equal(RunStatus.Running, (await db.Runs.SingleAsync(r => r.Id == ofB)).Status);
            Assert.Equal(2, await db.Instances.CountAsync());
        }

        // Past it: B's run and server are Interrupted (saying which instance), with their event count; A's are not.
        time.Advance(TimeSpan.FromSeconds(2));
        await leaseA.RenewAsync(CancellationToken.None);
        await using (var db = await contexts.CreateDbContextAsync())
        {
            var run = await db.Runs.SingleAsync(r => r.Id == ofB);
            Assert.Equal(RunStatus.Interrupted, run.Status);
            Assert.Contains(b.Id, run.Error);
            Assert.Equal(1, run.EventCount);
            var server = await db.Servers.SingleAsync(s => s.Id == ofB);
            Assert.Equal(ServerStatus.Interrupted, server.State);
            Assert.NotNull(server.StoppedAt);
            Assert.Equal(RunStatus.Running, (await db.Runs.SingleAsync(r => r.Id == ofA)).Status);
            Assert.Null((await db.Servers.SingleAsync(s => s.Id == ofA)).StoppedAt);
            Assert.Equal([a.Id], await db.Instances.Select(i => i.Id).ToListAsync());
            Assert.Equal(time.GetUtcNow().UtcDateTime, (await db.Instances.SingleAsync()).RenewedAt);
        }
    }

    [Fact]
    public async Task An_instance_taken_for_dead_registers_again_when_it_renews()
    {
        var (a, leaseA) = await RegisterAsync("a");
        await using (var db = await contexts.CreateDbContextAsync())
            await db.Instances.Where(i => i.Id == a.Id).ExecuteDeleteAsync();

        await leaseA.RenewAsync(CancellationToken.None);

        await using var check = await contexts.CreateDbContextAsync();
        Assert.Equal(time.GetUtcNow().UtcDateTime, (await check.Instances.SingleAsync(i => i.Id == a.Id)).RenewedAt);
    }
}
