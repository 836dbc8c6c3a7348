using Netlab.Web.Data;
using StackExchange.Redis;

namespace Netlab.Web.ScaleOut;

/// <summary>
/// The portal's own connection to Redis (the relay and the commands; SignalR's backplane keeps
/// its own). Connected at start-up: an unreachable Redis stops the start with one line saying so.
/// </summary>
public sealed class RedisConnection(PortalInstance instance, ILogger<RedisConnection> logger) : IHostedService, IAsyncDisposable
{
    private ConnectionMultiplexer? multiplexer;

    public IConnectionMultiplexer Multiplexer => multiplexer ?? throw new InvalidOperationException("Redis is not connected yet.");

    public ISubscriber Subscriber => Multiplexer.GetSubscriber();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            multiplexer = await ConnectionMultiplexer.ConnectAsync(instance.Redis!);
        }
        catch (Exception e) when (e is RedisConnectionException or ArgumentException)
        {
            throw new StartupProblemException($"Redis at \"{instance.Redis}\" (Netlab:Redis) cannot be reached: {e.Message.Split('\n')[0]} " +
                "Start it, correct Netlab:Redis, or unset it to run a single instance.", e);
        }
        // After start-up the client reconnects by itself; say so in the log when it has to.
        multiplexer.ConnectionFailed += (_, e) => logger.LogWarning("Lost the connection to Redis ({Failure}); reconnecting", e.FailureType);
        multiplexer.ConnectionRestored += (_, _) => logger.LogInformation("Reconnected to Redis");
        logger.LogInformation("Portal instance {Instance} connected to Redis", instance.Id);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (multiplexer is not null)
            await multiplexer.DisposeAsync();
    }
}
