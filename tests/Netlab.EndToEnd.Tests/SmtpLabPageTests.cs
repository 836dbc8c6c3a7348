using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Netlab.Labs.Core;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>The SMTP lab as a student sees it: start the server, send mail with an image, read it in the mailbox.</summary>
public class SmtpLabPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Send_a_message_with_an_uploaded_image_watch_the_dialogue_and_see_the_image_in_the_mailbox()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/labs/smtp");
        await page.GetByTestId("server-start").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToContainTextAsync("Running on 127.0.0.1:");
        await Expect(page.GetByTestId("mailbox")).ToContainTextAsync("No mail yet");

        await page.GetByTestId("probe-subject").FillAsync("Lab 3 screenshot");
        await page.GetByTestId("probe-startTls").ClickAsync();
        var image = Path.Combine(browser.Portal.Services.GetRequiredService<LabEnvironment>().ContentRoot, "images", "netlab.png");
        await page.GetByTestId("probe-attachmentUpload").SetInputFilesAsync(image);
        await page.GetByTestId("probe-run").ClickAsync();

        // The dialogue streams in swaks style, the TLS part with ~> and <~.
        var transcript = page.GetByTestId("run-events").GetByTestId("transcript");
        await Expect(transcript).ToContainTextAsync(" -> STARTTLS");
        await Expect(transcript).ToContainTextAsync(" ~> MAIL FROM:<student@netlab.test>");
        await Expect(transcript).ToContainTextAsync("<~  221");
        await Expect(page.GetByTestId("run-summary")).ToContainTextAsync("Message accepted: 250");

        // The server's side: the session and the message, without reloading.
        await Expect(page.GetByTestId("smtp-session-outcome").First).ToHaveTextAsync("completed");
        var row = page.GetByTestId("mailbox-row");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("Lab 3 screenshot");
        await row.ClickAsync();
        await Expect(page.GetByTestId("mail-subject")).ToHaveTextAsync("Lab 3 screenshot");
        await Expect(page.GetByTestId("mail-text")).ToContainTextAsync("I love computer networks!");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Attachments (1)" }).ClickAsync();
        var img = page.GetByTestId("mail-image");
        await Expect(img).ToBeVisibleAsync();
        await Expect(page.GetByTestId("mail-attachment-link")).ToContainTextAsync("netlab.png (image/png");
        // The image really loaded (decoded from the base64 part), not a broken icon.
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=mail-image]'); return i && i.complete && i.naturalWidth > 0; }");
        await page.GetByTestId("server-stop").ClickAsync(); // the next test starts its own
        await Expect(page.GetByTestId("server-state")).ToHaveTextAsync("Stopped");
    }

    [Fact]
    public async Task Fault_injection_from_the_page_makes_the_client_report_the_stage_and_code()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/labs/smtp");
        await page.GetByTestId("server-start").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToContainTextAsync("Running on");

        await page.GetByTestId("fault-stage").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Mail", Exact = true }).ClickAsync();
        await page.GetByTestId("fault-code").Locator("input").FillAsync("451");
        await page.GetByTestId("fault-apply").ClickAsync();
        await Expect(page.GetByTestId("fault-current")).ToContainTextAsync("Mail answers 451");

        await page.GetByTestId("probe-run").ClickAsync();
        await Expect(page.GetByTestId("run-error")).ToContainTextAsync("MAIL FROM: expected 250, the server answered 451");
        await Expect(page.GetByTestId("run-summary")).ToContainTextAsync("Failed at MAIL FROM");
        await page.GetByTestId("server-stop").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToHaveTextAsync("Stopped");
    }
}
