/// The report's style sheet, embedded in the page so the file needs nothing beside it.
///
/// It must contain no `<` or `&`, which would break the page as XML (the tests parse it so).
enum HTMLStyle {
    static let css = """
    :root { color-scheme: light; }
    * { box-sizing: border-box; }
    body { margin: 0; background: #f4f5f7; color: #1f2328;
           font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
    main { max-width: 1120px; margin: 0 auto; padding: 28px 20px 56px; }
    header { margin-bottom: 8px; }
    h1 { font-size: 1.75rem; line-height: 1.25; margin: 0 0 4px; }
    .subtitle { color: #57606a; margin: 0; }
    section { background: #ffffff; border: 1px solid #d8dee4; border-radius: 10px;
              padding: 18px 22px; margin: 18px 0; }
    h2 { font-size: 1.2rem; margin: 0 0 10px; }
    p { margin: 8px 0; max-width: 75ch; }
    .table-wrap { overflow-x: auto; margin: 10px 0; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
    th, td { padding: 5px 12px; border-bottom: 1px solid #e6e9ed; text-align: left; vertical-align: top; }
    thead th { border-bottom: 2px solid #c9d1d9; background: #f6f8fa; }
    td.num { text-align: right; }
    caption { text-align: left; font-weight: 600; padding: 0 0 6px; }
    table.summary th { color: #57606a; font-weight: 500; padding-left: 0; }
    .figures { display: grid; gap: 18px; margin: 12px 0;
               grid-template-columns: repeat(auto-fill, minmax(min(100%, 440px), 1fr)); }
    figure { margin: 0; min-width: 0; }
    figure svg, figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eef0f2; border-radius: 6px; }
    figure svg { width: 100%; }
    figcaption { color: #57606a; font-size: 0.9rem; margin-top: 6px; }
    .gallery { display: grid; gap: 12px; margin: 12px 0; grid-template-columns: repeat(auto-fill, minmax(\(HTMLReport.galleryTileWidth)px, 1fr)); }
    .gallery figure img { width: 100%; }
    .gallery figcaption { font-size: 0.8rem; margin-top: 4px; overflow-wrap: anywhere; }
    figure.panels { margin: 14px 0; }
    .panel-grid { position: relative; display: inline-block; max-width: 100%; }
    .panel-grid img { display: block; max-width: 100%; height: auto; border: 1px solid #eef0f2; border-radius: 6px; }
    .panel-label { position: absolute; margin: 6px; padding: 1px 6px; border-radius: 4px; font-size: 0.8rem;
                   background: rgba(255, 255, 255, 0.85); color: #1f2328; pointer-events: none; }
    .gallery-caption { color: #57606a; font-size: 0.9rem; margin: 0 0 12px; }
    .note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 8px 12px; }
    @media (max-width: 600px) {
      main { padding: 18px 10px 40px; }
      section { padding: 12px 12px; }
    }
    """
}
