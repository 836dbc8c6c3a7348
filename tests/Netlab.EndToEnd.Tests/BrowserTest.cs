using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>
/// A browser test on the shared portal: its own browser context and page, and a teardown that
/// closes them (ending the page's circuit), cancels the runs the test left running and stops the
/// servers it started, whether the test passed or not.
/// </summary>
[Collection(SharedPortal.Name)]
public abstract partial class BrowserTest(PortalFixture fixture) : IAsyncLifetime
{
    private IBrowserContext? context;
    private HashSet<string> serversBefore = [];
    private HashSet<string> runningBefore = [];
    private int circuitsBefore;

    protected PortalFixture Fixture => fixture;
    protected HttpClient Api => fixture.Api;
    protected IPage Page { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        serversBefore = await ServerIdsAsync();
        runningBefore = await RunningRunIdsAsync();
        circuitsBefore = fixture.Circuits.Count;
        context = await Chromium.NewContextAsync(fixture.Browser, fixture.BaseAddress, fixture.AdminState);
        Page = await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        var problems = new List<Exception>();
        async Task Step(Func<Task> step)
        {
            try { await step(); }
            catch (Exception e) { problems.Add(e); }
        }

        if (context is not null)
        {
            // Leaving the page sends Blazor's disconnect beacon, so the circuit (and every component
            // following a server or a run) ends now instead of lingering into the next test.
            foreach (var page in context.Pages)
                await Step(() => page.GotoAsync("about:blank"));
            await Step(() => context.CloseAsync());
            await Step(() => Eventually.UntilAsync(() => fixture.Circuits.Count <= circuitsBefore, "the test's Blazor circuits to close"));
        }
        await Step(async () =>
        {
            foreach (var id in (await RunningRunIdsAsync()).Except(runningBefore))
                await Api.PostAsync($"/api/runs/{id}/cancel", null); // 409 if it ended meanwhile: fine
            await Eventually.UntilAsync(async () => !(await RunningRunIdsAsync()).Except(runningBefore).Any(), "the test's runs to end");
        });
        await Step(async () =>
        {
            foreach (var id in (await ServerIdsAsync()).Except(serversBefore))
            {
                var stopped = await Api.DeleteAsync($"/api/servers/{id}");
                Assert.True(stopped.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, $"stopping server {id}: {stopped.StatusCode}");
            }
        });
        if (problems.Count > 0)
            throw new AggregateException("Cleaning up after the test failed", problems);
    }

    private async Task<HashSet<string>> ServerIdsAsync() =>
        [.. (await Api.GetFromJsonAsync<JsonArray>("/api/servers"))!.Select(s => (string)s!["id"]!)];

    private async Task<HashSet<string>> RunningRunIdsAsync() =>
        [.. (await Api.GetFromJsonAsync<JsonArray>("/api/runs?status=Running&limit=1000"))!.Select(r => (string)r!["id"]!)];

    /// <summary>
    /// Opens a lab page with no server attached. A lab page attaches to a running server of its lab,
    /// so one left over (its test's clean-up failed) is stopped first: this test starts its own.
    /// </summary>
    protected async Task OpenLabAsync(string lab)
    {
        var leftovers = (await Api.GetFromJsonAsync<JsonArray>("/api/servers"))!.Where(s => (string)s!["lab"]! == lab);
        foreach (var server in leftovers)
            await Api.DeleteAsync($"/api/servers/{server!["id"]}");
        await Page.GotoAsync($"/labs/{lab}");
    }

    /// <summary>Starts the lab's server from its panel and returns its port.</summary>
    protected async Task<int> StartServerAsync()
    {
        await Expect(Page.GetByTestId("server-state")).ToHaveTextAsync("Stopped");
        await Page.GetByTestId("server-start").ClickAsync();
        // The panel attaches to its new server twice (once from the "servers changed" event, once
        // when the start returns), showing Running, Stopped, Running on the way; see the report.
        // The Stop button is busy (disabled) until the start has returned: then the panel is settled.
        await Expect(Page.GetByTestId("server-stop")).ToBeEnabledAsync();
        var state = Page.GetByTestId("server-state");
        await Expect(state).ToContainTextAsync(RunningOn());
        var text = await state.TextContentAsync(); // not innerText: the badge is upper-cased by CSS
        var running = RunningOn().Match(text ?? "");
        Assert.True(running.Success, $"The server panel showed \"{text}\" after \"Running on ...\"");
        return int.Parse(running.Groups[1].Value);
    }

    /// <summary>The input of a form field (MudBlazor puts the test id on the input itself).</summary>
    protected ILocator Field(string testId) => Page.Locator($"input[data-testid={testId}], textarea[data-testid={testId}]");

    /// <summary>Sets an option as a person would: opening its "Advanced" group first when it is folded away.</summary>
    protected async Task SetNumberAsync(string testId, string value) => await SetAsync(Field(testId).First, value);

    protected async Task SetAsync(ILocator input, string value)
    {
        await input.WaitForAsync(new() { State = WaitForSelectorState.Attached });
        if (!await input.IsVisibleAsync())
            await input.Locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' mud-expand-panel ')][1]").Locator(".mud-expand-panel-header").ClickAsync();
        await input.FillAsync(value);
        await input.PressAsync("Tab");
    }

    [GeneratedRegex(@"Running on 127\.0\.0\.1:(\d+)")]
    private static partial Regex RunningOn();
}
