import { Children, isValidElement, type ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';
import 'highlight.js/styles/github.css';
import { CopyButton } from './CopyButton';

/** The plain text of a rendered node (a highlighted code block is a tree of spans). */
function textOf(node: ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (isValidElement<{ children?: ReactNode }>(node)) return textOf(node.props.children);
  return '';
}

/**
 * Tables in a box that scrolls sideways instead of the page; code blocks with a copy button; links
 * in a new tab without handing the opened page this one (`noopener noreferrer`): a model's answer
 * or a doc must not navigate the console away.
 */
const components: Components = {
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noopener noreferrer" />,
  table: ({ node: _node, ...props }) => (
    <div className="md-table">
      <table {...props} />
    </div>
  ),
  pre: ({ node: _node, children, ...props }) => (
    <div className="md-code">
      <pre {...props}>{children}</pre>
      <span className="md-copy">
        <CopyButton text={textOf(Children.toArray(children)).replace(/\n$/, '')} size="small" type="text" testId="md-copy" />
      </span>
    </div>
  ),
};

/** Model answers and docs as GitHub-flavoured Markdown (tables, task lists, strikethrough, autolinks) with highlighted code. Raw HTML in the text is not rendered (react-markdown's default). */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="md-body">
      <ReactMarkdown remarkPlugins={[remarkGfm]} rehypePlugins={[[rehypeHighlight, { detect: true }]]} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
