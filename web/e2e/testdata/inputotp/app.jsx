// A sign-up code step as React apps write it with input-otp: one <OTPInput>
// (a real <input autocomplete="one-time-code"> under slots drawn by the
// app), controlled by React state. webotp.js, loaded by its own script tag,
// finds that input and fills it. window.__otpConfig (set by the test page
// before this bundle) chooses the props:
//   maxLength          the number of slots
//   pasteTransformer   "dashes": input-otp handles pastes itself, removing dashes
// Everything the app sees is recorded on window.__otp for the test.
import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { OTPInput } from 'input-otp';

const config = window.__otpConfig || {};
const record = { changes: [], completes: [], pasteTransforms: 0 };
window.__otp = record;

const transformers = {
  dashes: (text) => {
    record.pasteTransforms++;
    return text.replaceAll('-', '');
  },
};

function Slot({ char, isActive }) {
  return <div className={'slot' + (isActive ? ' active' : '')}>{char ?? ''}</div>;
}

function CodeStep() {
  const [value, setValue] = useState('');
  return (
    <form id="f" onSubmit={(e) => e.preventDefault()}>
      <label htmlFor="otp">Code</label>
      <OTPInput
        id="otp"
        name="code"
        maxLength={config.maxLength || 6}
        value={value}
        onChange={(v) => {
          record.changes.push(v);
          setValue(v);
        }}
        onComplete={(v) => record.completes.push(v)}
        pasteTransformer={transformers[config.pasteTransformer]}
        containerClassName="slots"
        render={({ slots }) => (
          <div className="slot-row">
            {slots.map((slot, i) => <Slot key={i} {...slot} />)}
          </div>
        )}
      />
      <button id="go">Verify</button>
    </form>
  );
}

createRoot(document.getElementById('root')).render(<CodeStep />);
