using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Netlab.Data;
using Netlab.Labs.Core;
using Netlab.Web.Accounts;
using Netlab.Web.Api;
using Netlab.Web.Components;
using Netlab.Web.Components.Shared;
using Netlab.Web.Data;
using Netlab.Web.Hubs;
using Netlab.Web.Labs;
using Netlab.Web.Runs;
using Netlab.Web.ScaleOut;
using Netlab.Web.Servers;
using MudBlazor.Services;

namespace Netlab.Web.Hosting;

public static class NetlabHosting
{
    /// <summary>Everything the portal needs: store, run pipeline, servers, API, hub, UI.</summary>
    public static WebApplicationBuilder AddNetlab(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // Package assets (_content/MudBlazor/...) from the build output in every environment,
        // not only Development: `dotnet run` and the tests run unpublished builds. A no-op when published.
        builder.WebHost.UseStaticWebAssets();
        var section = builder.Configuration.GetSection(NetlabOptions.Section);
        services.AddOptions<NetlabOptions>().Bind(section)
            .Validate(o => System.Net.IPAddress.TryParse(o.Servers.BindAddress, out _), "Netlab:Servers:BindAddress must be an IP address.")
            .Validate(o => o.Servers.RetainDays >= 1, "Netlab:Servers:RetainDays must be at least 1.")
            .Validate(o => o.Servers.MaxStoredEventsPerServer >= 0, "Netlab:Servers:MaxStoredEventsPerServer must not be negative.")
            .ValidateOnStart();

        var dataDirectory = Path.GetFullPath(section.Get<NetlabOptions>()?.DataDirectory ?? new NetlabOptions().DataDirectory, builder.Environment.ContentRootPath);
        try
        {
            Directory.CreateDirectory(dataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupProblemException($"The data folder {dataDirectory} cannot be created: {e.Message} Set Netlab:DataDirectory to a folder the portal may write.", e);
        }
        // Taken now, before the host starts (a refusal is then one line from Program, not a hosting
        // failure with its stack); released when the host disposes it (DatabaseStartup depends on it).
        var dataLock = DataDirectoryLock.Acquire(dataDirectory);
        services.AddSingleton(_ => dataLock);
        services.AddNetlabDatabase(builder.Configuration, dataDirectory);

        // Order matters: hosted services start in registration order and stop in reverse,
        // so the database is migrated before anything runs, and runs stop before servers.
        // Redis (when configured) before the database: start-up tells other instances' followers what it marked Interrupted.
        services.AddNetlabScaleOut(builder.Configuration);
        services.AddHostedService<DatabaseStartup>();
        services.AddHostedService<InstanceLease>();
        // Sign-in cookies and protected browser storage stay valid across restarts, and on every
        // instance sharing the database: the keys live in it (DatabaseStartup brings in older keys/ files).
        services.AddDataProtection().SetApplicationName("Netlab").PersistKeysToDbContext<NetlabDbContext>();
        services.AddNetlabAccounts();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EventPump>();
        var labContent = Path.GetFullPath(section.Get<NetlabOptions>()?.ContentRoot ?? new NetlabOptions().ContentRoot, builder.Environment.ContentRootPath);
        // Probes may ask what an in-process server saw (the heartbeat client's summary); the
        // directory resolves the ServerManager lazily because the manager needs the environment too.
        // FTP's PORT may not aim at the portal's own listeners (its HTTP port, its lab servers).
        services.AddSingleton(sp => new LabEnvironment(labContent)
        {
            Servers = new LazyServerDirectory(sp),
            DataDirectory = dataDirectory,
            IsOwnListener = new OwnListeners(sp).Contains,
            Storage = new StorageBudget((long)sp.GetRequiredService<IOptionsMonitor<NetlabOptions>>().CurrentValue.Limits.LabStorageMegabytes * 1024 * 1024,
                () => Directory.Exists(Path.Combine(dataDirectory, "servers")) ? ContentRoot.BytesUnder(Path.Combine(dataDirectory, "servers")) : 0,
                sp.GetRequiredService<TimeProvider>()),
        });
        services.AddSingleton<ServerManager>();
        services.AddHostedService(sp => sp.GetRequiredService<ServerManager>());
        services.AddSingleton<ServerStore>();
        services.AddSingleton(new LabDirectories(dataDirectory));
        services.AddHostedService<Retention>();
        services.AddSingleton<RunCoordinator>();
        services.AddHostedService(sp => sp.GetRequiredService<RunCoordinator>());
        services.AddSingleton<RunStore>();
        services.AddSingleton<Grading.GradingService>();
        services.AddHostedService(sp => sp.GetRequiredService<Grading.GradingService>());
        foreach (var lab in LabModules.All)
            lab.AddServices(services);
        services.AddSingleton<TargetPolicy>();

        services.ConfigureHttpJsonOptions(o => LabJson.Configure(o.SerializerOptions));
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        // Binding failures (a query value that is not a status, a body that is not JSON) reach the
        // handler, which says what could not be read instead of a bare 400.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new() { Title = "Netlab API", Version = "v1", Description = "Everything the Netlab portal does, for scripts. Authorize with an API key (your profile page, or POST /api/me/api-keys)." });
            o.AddSecurityDefinition(ApiKeyHandler.SchemeName, new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.ApiKey,
                In = Microsoft.OpenApi.ParameterLocation.Header,
                Name = "X-Api-Key",
                Description = "An API key of your account (nlk_...).",
            });
            o.AddSecurityRequirement(document => new() { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference(ApiKeyHandler.SchemeName, document)] = [] });
        });
        services.AddSingleton<HubErrors>();
        services.AddSignalR(o => o.AddFilter<HubErrors>()).AddJsonProtocol(o => LabJson.Configure(o.PayloadSerializerOptions));
        services.AddSingleton<StoreHealth>();
        services.AddHealthChecks().AddDbContextCheck<NetlabDbContext>().AddCheck<StoreHealth>("store writes").AddCheck<RunCoordinator>("run records");

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddScoped<FormMemory>();
        return builder;
    }

    public static WebApplication MapNetlab(this WebApplication app)
    {
        app.UseExceptionHandler();
        // Unknown pages show the app's Not Found page; the API keeps its ProblemDetails.
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseSwagger();
        app.UseSwaggerUI();
        app.UseNetlabAccounts();
        app.UseAntiforgery();

        // The sign-in page needs its styles before anyone is signed in.
        app.MapStaticAssets().AllowAnonymous();
        // Browsers ask for /favicon.ico whatever the page links to.
        app.MapGet("/favicon.ico", () => Results.Redirect("/favicon.svg", permanent: true)).ExcludeFromDescription().AllowAnonymous();
        app.MapAccountEndpoints();
        app.MapMeApi();
        app.MapUsersApi();
        app.MapLabsApi();
        app.MapServersApi();
        foreach (var lab in LabModules.All)
            lab.MapEndpoints(app);
        app.MapRunsApi();
        app.MapAssignmentsApi();
        app.MapSubmissionsApi();
        app.MapGradebookApi();
        app.MapHub<RunsHub>("/hubs/runs");
        app.MapHealthChecks("/healthz").AllowAnonymous();
        // An unknown API address answers ProblemDetails (a body, so the Not Found page is not used).
        app.MapFallback("/api/{**rest}", () => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: "There is no such API endpoint; see /swagger."))
            .ExcludeFromDescription();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
