"""The papers the families come from: a line for each README's Paper section and BibTeX
for its Citation section (lm-eval's new-task checklist asks for both)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paper:
    title: str
    url: str
    bibtex: str

    def line(self) -> str:
        return f"[{self.title}]({self.url})"


MERRILL_2024 = Paper(
    "Merrill, Petty & Sabharwal, The Illusion of State in State-Space Models (ICML 2024)",
    "https://arxiv.org/abs/2404.08819",
    """@inproceedings{merrill2024illusion,
  title = {The Illusion of State in State-Space Models},
  author = {Merrill, William and Petty, Jackson and Sabharwal, Ashish},
  booktitle = {Proceedings of the 41st International Conference on Machine Learning},
  series = {Proceedings of Machine Learning Research},
  volume = {235},
  year = {2024}
}""",
)
BARRINGTON_1989 = Paper(
    "Barrington, Bounded-width polynomial-size branching programs recognize exactly those "
    "languages in NC1 (JCSS 1989)",
    "https://doi.org/10.1016/0022-0000(89)90037-8",
    """@article{barrington1989bounded,
  title = {Bounded-width polynomial-size branching programs recognize exactly those languages in {NC}$^1$},
  author = {Barrington, David A. Mix},
  journal = {Journal of Computer and System Sciences},
  volume = {38},
  number = {1},
  pages = {150--164},
  year = {1989}
}""",
)
TOSHNIWAL_2022 = Paper(
    "Toshniwal, Wiseman, Livescu & Gimpel, Chess as a Testbed for Language Model State "
    "Tracking (AAAI 2022)",
    "https://arxiv.org/abs/2102.13249",
    """@inproceedings{toshniwal2022chess,
  title = {Chess as a Testbed for Language Model State Tracking},
  author = {Toshniwal, Shubham and Wiseman, Sam and Livescu, Karen and Gimpel, Kevin},
  booktitle = {Proceedings of the AAAI Conference on Artificial Intelligence},
  volume = {36},
  year = {2022}
}""",
)
BIG_BENCH_2023 = Paper(
    "Srivastava et al., Beyond the Imitation Game: Quantifying and extrapolating the "
    "capabilities of language models (TMLR 2023; BIG-bench chess_state_tracking)",
    "https://arxiv.org/abs/2206.04615",
    """@article{srivastava2023beyond,
  title = {Beyond the Imitation Game: Quantifying and extrapolating the capabilities of language models},
  author = {Srivastava, Aarohi and others},
  journal = {Transactions on Machine Learning Research},
  year = {2023}
}""",
)
SUZGUN_2023 = Paper(
    "Suzgun et al., Challenging BIG-Bench Tasks and Whether Chain-of-Thought Can Solve Them "
    "(Findings of ACL 2023; BBH tracking_shuffled_objects)",
    "https://arxiv.org/abs/2210.09261",
    """@inproceedings{suzgun2023challenging,
  title = {Challenging {BIG}-Bench Tasks and Whether Chain-of-Thought Can Solve Them},
  author = {Suzgun, Mirac and Scales, Nathan and Sch{\\"a}rli, Nathanael and Gehrmann, Sebastian and Tay, Yi and Chung, Hyung Won and Chowdhery, Aakanksha and Le, Quoc V. and Chi, Ed H. and Zhou, Denny and Wei, Jason},
  booktitle = {Findings of the Association for Computational Linguistics: ACL 2023},
  year = {2023}
}""",
)
KIM_SCHUSTER_2023 = Paper(
    "Kim & Schuster, Entity Tracking in Language Models (ACL 2023)",
    "https://arxiv.org/abs/2305.02363",
    """@inproceedings{kim2023entity,
  title = {Entity Tracking in Language Models},
  author = {Kim, Najoung and Schuster, Sebastian},
  booktitle = {Proceedings of the 61st Annual Meeting of the Association for Computational Linguistics (Volume 1: Long Papers)},
  year = {2023}
}""",
)
LIU_2023 = Paper(
    "Liu, Ash, Goel, Krishnamurthy & Zhang, Exposing Attention Glitches with Flip-Flop "
    "Language Modeling (NeurIPS 2023)",
    "https://arxiv.org/abs/2306.00946",
    """@inproceedings{liu2023exposing,
  title = {Exposing Attention Glitches with Flip-Flop Language Modeling},
  author = {Liu, Bingbin and Ash, Jordan T. and Goel, Surbhi and Krishnamurthy, Akshay and Zhang, Cyril},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {36},
  year = {2023}
}""",
)
SARROF_2024 = Paper(
    "Sarrof, Veitsman & Hahn, The Expressive Capacity of State Space Models: A Formal "
    "Language Perspective (NeurIPS 2024)",
    "https://arxiv.org/abs/2405.17394",
    """@inproceedings{sarrof2024expressive,
  title = {The Expressive Capacity of State Space Models: A Formal Language Perspective},
  author = {Sarrof, Yash and Veitsman, Yana and Hahn, Michael},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {37},
  year = {2024}
}""",
)
GRAZZI_2025 = Paper(
    "Grazzi, Siems, Zela, Franke, Hutter & Pontil, Unlocking State-Tracking in Linear RNNs "
    "Through Negative Eigenvalues (ICLR 2025)",
    "https://arxiv.org/abs/2411.12537",
    """@inproceedings{grazzi2025unlocking,
  title = {Unlocking State-Tracking in Linear {RNN}s Through Negative Eigenvalues},
  author = {Grazzi, Riccardo and Siems, Julien and Zela, Arber and Franke, J{\\"o}rg K. H. and Hutter, Frank and Pontil, Massimiliano},
  booktitle = {The Thirteenth International Conference on Learning Representations},
  year = {2025}
}""",
)
