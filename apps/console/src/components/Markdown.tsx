import ReactMarkdown from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import 'highlight.js/styles/github.css';

/** Model answers as Markdown with highlighted code. Raw HTML in the text is not rendered (react-markdown's default). */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="md-body">
      <ReactMarkdown rehypePlugins={[[rehypeHighlight, { detect: true }]]}>{text}</ReactMarkdown>
    </div>
  );
}
