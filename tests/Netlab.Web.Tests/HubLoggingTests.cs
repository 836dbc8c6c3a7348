using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Netlab.Web.Tests;

/// <summary>A client that joins unknown runs in a loop must not fill the log with stack traces.</summary>
public sealed class HubLoggingTests : IAsyncLifetime
{
    private readonly CapturedLog log = new();
    private readonly NetlabFactory portal;

    public HubLoggingTests() => portal = new NetlabFactory
    {
        Configure = builder => builder.ConfigureLogging(logging => logging.AddProvider(log)),
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await portal.DisposeAsync();

    [Fact]
    public async Task Hundreds_of_refused_joins_log_one_line_each_second_not_a_stack_trace_each()
    {
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(portal.Server.BaseAddress, "/hubs/runs"), o =>
            {
                o.HttpMessageHandlerFactory = _ => portal.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling; // the in-memory test server has no WebSockets
                o.Headers["X-Api-Key"] = TestAccounts.AdminKey;
            })
            .Build();
        await hub.StartAsync();

        for (var i = 0; i < 300; i++)
        {
            var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync("JoinRun", Guid.NewGuid()));
            Assert.Contains("No run with id", refused.Message);
        }

        var hubLines = log.Entries.Where(e => e.Category.Contains("SignalR", StringComparison.Ordinal) || e.Category.EndsWith("HubErrors", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(hubLines, e => e.Exception is not null);
        var refusals = hubLines.Where(e => e.Message.StartsWith("Hub call JoinRun refused: No run with id", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(refusals);
        // Rate-limited: far fewer lines than calls, and the left-out ones are counted.
        Assert.True(refusals.Count < 300, $"{refusals.Count} lines for 300 refusals");
        Assert.True(refusals.Count == 1 || refusals.Any(e => e.Message.Contains("more refusals")), string.Join("\n", refusals.Select(e => e.Message)));
    }

    private sealed class CapturedLog : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, string Message, Exception? Exception)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(CapturedLog log, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) log.Entries.Enqueue((category, formatter(state, exception), exception));
            }
        }
    }
}
