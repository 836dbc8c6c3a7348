using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;

namespace Netlab.Web.ScaleOut;

/// <summary>
/// Several portal instances (README, "Scale-out"): with Netlab:Redis set, SignalR groups span the
/// instances (its Redis backplane), live feeds and commands are relayed through Redis; without it,
/// the single-process stand-ins keep today's behaviour. Every instance keeps a lease in the database.
/// </summary>
public static class ScaleOutSetup
{
    /// <summary>Registered before the database's start-up; <see cref="InstanceLease"/> is registered after it (and before runs and servers, so it is released after they stopped).</summary>
    public static IServiceCollection AddNetlabScaleOut(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<PortalInstance>();
        services.AddSingleton<ForwardedRequests>();
        services.AddSingleton<LiveOwners>();
        services.AddSingleton<OwnerCommands>();
        services.AddSingleton<IOwnerCommandHandler>(sp => sp.GetRequiredService<OwnerCommands>());
        var redis = configuration["Netlab:Redis"];
        if (string.IsNullOrWhiteSpace(redis))
        {
            services.AddSingleton<IEventRelay, NoEventRelay>();
            services.AddSingleton<IInstanceCommands, NoInstanceCommands>();
        }
        else
        {
            services.AddSingleton<RedisConnection>();
            services.AddHostedService(sp => sp.GetRequiredService<RedisConnection>());
            services.AddSingleton<IEventRelay, RedisEventRelay>();
            services.AddSingleton<RedisInstanceCommands>();
            services.AddSingleton<IInstanceCommands>(sp => sp.GetRequiredService<RedisInstanceCommands>());
            services.AddHostedService(sp => sp.GetRequiredService<RedisInstanceCommands>());
            services.AddTransient<IStartupFilter, RelayableBodies>();
            services.AddSignalR().AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = RedisChannel.Literal("netlab:signalr"));
        }
        return services;
    }
}

/// <summary>
/// API request bodies are kept readable again: an endpoint binds its body before its filters run,
/// and a request relayed to the owner (<see cref="OwnerForwarding"/>) needs that body once more.
/// Only with several instances (small bodies stay in memory, larger ones go to a temporary file).
/// </summary>
internal sealed class RelayableBodies : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, following) =>
        {
            if (context.Request.Path.StartsWithSegments("/api"))
                context.Request.EnableBuffering();
            return following(context);
        });
        next(app);
    };
}
