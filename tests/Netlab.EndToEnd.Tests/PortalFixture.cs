using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Netlab.Web.Tests;

namespace Netlab.EndToEnd.Tests;

/// <summary>
/// The browser tests that use the in-process portal share one portal and one Chromium; each test
/// gets its own browser context. Tests in one collection run one at a time, so a test sees only
/// its own servers and runs (and cleans them up in <see cref="BrowserTest.DisposeAsync"/>).
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedPortal : ICollectionFixture<PortalFixture>
{
    public const string Name = "Shared portal and browser";
}

/// <summary>The portal on a real ephemeral port, Chromium, and an API client for set-up and clean-up.</summary>
public sealed class PortalFixture : IAsyncLifetime
{
    private IPlaywright? playwright;

    public PortalFixture()
    {
        Portal = new NetlabFactory
        {
            Configure = builder => builder.ConfigureServices(services =>
            {
                services.AddSingleton(Circuits);
                services.AddScoped<CircuitHandler, CircuitCounter>();
            }),
        };
    }

    public NetlabFactory Portal { get; }
    public OpenCircuits Circuits { get; } = new();
    public Uri BaseAddress { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;
    public HttpClient Api { get; private set; } = default!;

    /// <summary>The cookies of the administrator signed in through the sign-in page; every test's browser context starts with them.</summary>
    public string AdminState { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Portal.UseKestrel(0);
        Portal.StartServer();
        BaseAddress = Portal.ClientOptions.BaseAddress;
        Api = new HttpClient { BaseAddress = BaseAddress };
        Api.DefaultRequestHeaders.Add("X-Api-Key", TestAccounts.AdminKey);
        (playwright, Browser) = await Chromium.LaunchAsync();
        AdminState = await Chromium.SignedInStateAsync(Browser, BaseAddress, TestAccounts.AdminEmail, TestAccounts.AdminPassword);
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        if (Browser is not null) await Browser.DisposeAsync();
        playwright?.Dispose();
        await Portal.DisposeAsync();
    }
}

/// <summary>How many Blazor circuits the portal has open: a closed page must end its circuit.</summary>
public sealed class OpenCircuits
{
    private int open;

    public int Count => Volatile.Read(ref open);

    internal void Opened() => Interlocked.Increment(ref open);

    internal void Closed() => Interlocked.Decrement(ref open);
}

internal sealed class CircuitCounter(OpenCircuits circuits) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        circuits.Opened();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        circuits.Closed();
        return Task.CompletedTask;
    }
}
