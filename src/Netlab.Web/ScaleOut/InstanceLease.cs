using Microsoft.EntityFrameworkCore;
using Netlab.Data;

namespace Netlab.Web.ScaleOut;

/// <summary>
/// This instance's lease in the shared database: registered at start, renewed three times per
/// lease (Netlab:Instance:LeaseSeconds), removed at a clean stop. On each renewal it also looks
/// for instances whose lease has expired (killed, or cut off), marks their runs and servers
/// Interrupted, tells followers elsewhere that those ended, and deletes the dead instance's row.
/// Driven by the TimeProvider, so tests can move time by hand.
/// </summary>
public sealed class InstanceLease(PortalInstance self, IDbContextFactory<NetlabDbContext> contexts, IEventRelay relay, TimeProvider time,
    IHostApplicationLifetime lifetime, Microsoft.AspNetCore.Hosting.Server.IServer server, ILogger<InstanceLease> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var now = time.GetUtcNow().UtcDateTime;
            db.Instances.Add(new InstanceEntity { Id = self.Id, Address = self.Address, StartedAt = now, RenewedAt = now });
            await db.SaveChangesAsync(cancellationToken);
        }
        // The listening address is known once the server has started (after the hosted services).
        lifetime.ApplicationStarted.Register(() => _ = Task.Run(RecordAddressAsync));
        await base.StartAsync(cancellationToken);
    }

    private async Task RecordAddressAsync()
    {
        if (self.Address.Length == 0)
            self.Address = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "";
        try
        {
            await using var db = await contexts.CreateDbContextAsync();
            await db.Instances.Where(i => i.Id == self.Id).ExecuteUpdateAsync(set => set.SetProperty(i => i.Address, self.Address));
            logger.LogInformation("Portal instance {Instance} at {Address}", self.Id, self.Address);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not record this instance's address: {Reason}", e.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(self.Lease / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await RenewAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One renewal and one look for dead instances (public for tests that drive it by hand).</summary>
    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var now = time.GetUtcNow().UtcDateTime;
            if (await db.Instances.Where(i => i.Id == self.Id).ExecuteUpdateAsync(set => set.SetProperty(i => i.RenewedAt, now), cancellationToken) == 0)
            {
                // Another instance took this one for dead (it could not renew in time): its runs were marked; register again for what comes.
                logger.LogWarning("This instance's lease had expired and was taken over; registering again");
                db.Instances.Add(new InstanceEntity { Id = self.Id, Address = self.Address, StartedAt = now, RenewedAt = now });
                await db.SaveChangesAsync(cancellationToken);
            }
            if (!self.SharesDatabase)
                return;
            var cutoff = now - self.Lease;
            var dead = await db.Instances.Where(i => i.RenewedAt < cutoff && i.Id != self.Id).Select(i => i.Id).ToListAsync(cancellationToken);
            var marked = await Interruptions.MarkAsync(db, cutoff, self.Id, cancellationToken);
            if (dead.Count > 0)
                await db.Instances.Where(i => dead.Contains(i.Id)).ExecuteDeleteAsync(cancellationToken);
            if (marked.Runs.Count + marked.Servers.Count > 0)
                logger.LogWarning("Instance(s) {Dead} stopped renewing their lease: marked {Runs} run(s) and {Servers} server(s) Interrupted",
                    string.Join(", ", dead), marked.Runs.Count, marked.Servers.Count);
            await EndFollowersAsync(relay, marked);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A database hiccup: the next renewal tries again (the lease is three renewals long).
            logger.LogWarning("Could not renew this instance's lease: {Reason}", e.Message);
        }
    }

    /// <summary>Followers in any instance of what was marked Interrupted stop: the store now has its end.</summary>
    public static async Task EndFollowersAsync(IEventRelay relay, Interruptions.Marked marked)
    {
        foreach (var id in marked.Runs)
            await relay.EndAsync(FeedSource.Run, id);
        foreach (var id in marked.Servers)
            await relay.EndAsync(FeedSource.Server, id);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Stopped after the runs and servers (registered before them): their ends are recorded, so the row can go.
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await db.Instances.Where(i => i.Id == self.Id).ExecuteDeleteAsync(cancellationToken);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not remove this instance's lease: {Reason}", e.Message);
        }
    }
}
